/** The audit log for admins, newest first, a page at a time. */
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { auditLog } from '../api/endpoints';
import { Time } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';

const PAGE = 50;

export default function Audit() {
  /** `before` of each page shown so far: the first is undefined (newest). */
  const [pages, setPages] = useState<(number | undefined)[]>([undefined]);
  const before = pages[pages.length - 1];
  const list = useQuery({ queryKey: ['audit', before], queryFn: () => auditLog.list(before, PAGE) });
  return (
    <>
      <PageTitle title="Audit log">Audit log</PageTitle>
      <QueryView query={list} what="the audit log">
        {(r) => (
          <>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Who</th>
                    <th scope="col">Action</th>
                    <th scope="col">Target</th>
                  </tr>
                </thead>
                <tbody>
                  {r.items.map((e) => (
                    <tr key={e.id}>
                      <td>
                        <Time at={e.at} />
                      </td>
                      <td className="mono small">{e.actor}</td>
                      <td>{e.action}</td>
                      <td className="small">
                        {e.targetType} <span className="mono">{e.targetId}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div className="button-row">
              <button type="button" className="button-quiet" disabled={pages.length === 1} onClick={() => setPages(pages.slice(0, -1))}>
                Newer
              </button>
              <button type="button" className="button-quiet" disabled={r.items.length < PAGE} onClick={() => setPages([...pages, r.items[r.items.length - 1]?.id])}>
                Older
              </button>
            </div>
          </>
        )}
      </QueryView>
    </>
  );
}
