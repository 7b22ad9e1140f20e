/** Rings in release order with their timing and windows; admins open one to edit its windows. */
import { useQuery } from '@tanstack/react-query';
import { rings } from '../api/endpoints';
import { windowsText } from '../components/windows';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { Link } from '../router';
import { useSession } from '../session';

export default function Rings() {
  const list = useQuery({ queryKey: ['rings'], queryFn: rings.list });
  const { can } = useSession();
  return (
    <>
      <PageTitle title="Rings">Rings</PageTitle>
      <QueryView query={list} what="rings">
        {(r) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Ring</th>
                  <th scope="col">Share</th>
                  <th scope="col">Deferral / deadline / grace (days)</th>
                  <th scope="col">Maintenance windows</th>
                  <th scope="col">Approval</th>
                </tr>
              </thead>
              <tbody>
                {r.items.map((ring) => (
                  <tr key={ring.id}>
                    <td>
                      <Link to={`/rings/${ring.id}`} aria-label={can('admin') ? `${ring.name}: view and edit` : undefined}>
                        {ring.name}
                      </Link>
                    </td>
                    <td className="num">{ring.percent === null ? 'pinned only' : `${ring.percent} %`}</td>
                    <td>
                      {ring.deferralDays} / {ring.deadlineDays} / {ring.graceDays}
                    </td>
                    <td>{windowsText(ring.windows)}</td>
                    <td>{ring.approvalRequired ? `${ring.approvals.rollout} ${ring.approvals.rollout === 1 ? 'person' : 'people'}` : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </>
  );
}
