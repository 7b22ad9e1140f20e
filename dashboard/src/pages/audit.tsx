/**
 * The audit log for admins, newest first, a page at a time, filtered by who,
 * what, which target and when. The filter is the page's URL query, so a
 * filtered view can be bookmarked and shared.
 */
import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { auditLog } from '../api/endpoints';
import { auditHref, filterFromQuery, isFiltered, isoToLocalInput, localInputToIso, type AuditFilter } from '../components/audit-filter';
import { Time } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { Link, navigate, useLocation } from '../router';

const PAGE = 50;

const TEXT_FIELDS: { key: 'actor' | 'action' | 'targetType' | 'targetId'; label: string; hint: string }[] = [
  { key: 'actor', label: 'Who', hint: 'as recorded, e.g. user:ada, system' },
  { key: 'action', label: 'Action', hint: 'e.g. ring.update, freeze.create' },
  { key: 'targetType', label: 'Target type', hint: 'e.g. ring, rollout, host' },
  { key: 'targetId', label: 'Target id', hint: 'e.g. rg_fast' },
];

function FilterForm({ filter }: { filter: AuditFilter }) {
  const [f, setF] = useState({ ...filter, since: isoToLocalInput(filter.since), until: isoToLocalInput(filter.until) });
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const since = localInputToIso(f.since);
    const until = localInputToIso(f.until);
    if (since === undefined || until === undefined) {
      setProblem('the time range needs a date and a time');
      return;
    }
    setProblem(null);
    navigate(auditHref({ ...f, since, until }));
  };
  return (
    <form onSubmit={submit} className="panel" aria-labelledby="audit-filter-h">
      <h2 id="audit-filter-h">Filter</h2>
      <div className="form-grid">
        {TEXT_FIELDS.map((fd) => (
          <div className="field" key={fd.key}>
            <label htmlFor={`audit-${fd.key}`}>{fd.label}</label>
            <input id={`audit-${fd.key}`} maxLength={200} value={f[fd.key] ?? ''} aria-describedby={`audit-${fd.key}-hint`} onChange={(e) => setF({ ...f, [fd.key]: e.target.value })} />
            <span id={`audit-${fd.key}-hint`} className="small muted">
              {fd.hint}
            </span>
          </div>
        ))}
        <div className="field">
          <label htmlFor="audit-since">From</label>
          <input id="audit-since" type="datetime-local" value={f.since} onChange={(e) => setF({ ...f, since: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="audit-until">Until (not included)</label>
          <input id="audit-until" type="datetime-local" value={f.until} onChange={(e) => setF({ ...f, until: e.target.value })} />
        </div>
      </div>
      <div className="button-row">
        <button type="submit">Apply filter</button>
        {isFiltered(filter) ? (
          <Link to="/audit" className="button-quiet">
            Clear filter
          </Link>
        ) : null}
      </div>
      {problem ? (
        <p className="note note-error" role="alert">
          {problem}
        </p>
      ) : null}
    </form>
  );
}

function Entries({ filter }: { filter: AuditFilter }) {
  /** `before` of each page shown so far: the first is undefined (newest). */
  const [pages, setPages] = useState<(number | undefined)[]>([undefined]);
  const before = pages[pages.length - 1];
  const list = useQuery({ queryKey: ['audit', filter, before], queryFn: () => auditLog.list(filter, before, PAGE) });
  const filtered = isFiltered(filter);
  return (
    <QueryView query={list} what="the audit log">
      {(r) => (
        <>
          {r.items.length === 0 ? <p>{filtered ? 'No entries match this filter.' : 'The audit log is empty.'}</p> : null}
          <div className="table-wrap">
            <table aria-label={filtered ? 'Audit entries matching the filter' : 'Audit entries'}>
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
  );
}

export default function Audit() {
  const { query } = useLocation();
  const filter = filterFromQuery(query);
  const href = auditHref(filter);
  return (
    <>
      <PageTitle title="Audit log">Audit log</PageTitle>
      {/* Keyed by the filter: a new filter starts again from its newest page with the form showing it. */}
      <FilterForm key={`form ${href}`} filter={filter} />
      <Entries key={href} filter={filter} />
    </>
  );
}
