/** Patches: the catalog with how many hosts miss each, the highest priority among them, and the reliability decision. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { patches } from '../api/endpoints';
import { Badge, Time } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { SearchForm } from '../components/search-form';
import { Link, navigate, useLocation } from '../router';

export default function Patches() {
  const { path, query } = useLocation();
  const q = query.get('q') ?? '';
  const all = query.get('all') === '1';
  const list = useQuery({ queryKey: ['patches', q, all], queryFn: () => patches.list(q, !all), placeholderData: keepPreviousData });
  const toggle = (checked: boolean) => {
    const next = new URLSearchParams(query);
    if (checked) next.set('all', '1');
    else next.delete('all');
    const s = next.toString();
    navigate(s ? `${path}?${s}` : path, { replace: true });
  };
  return (
    <>
      <PageTitle title="Patches">Patches</PageTitle>
      <SearchForm label="Find a patch" placeholder="USN-7604-1, KB5065426, CVE-2025-32463 or a word of the title">
        <div className="check">
          <input id="patches-all" type="checkbox" checked={all} onChange={(e) => toggle(e.target.checked)} />
          <label htmlFor="patches-all">Include patches no host is missing</label>
        </div>
      </SearchForm>
      <QueryView query={list} what="patches">
        {(page) => (
          <section aria-labelledby="patches-h">
            <h2 id="patches-h" className="small-heading">
              {page.total} patch{page.total === 1 ? '' : 'es'}
              {page.total > page.items.length ? ` (first ${page.items.length} shown)` : ''}
            </h2>
            {page.items.length > 0 ? (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Patch</th>
                      <th scope="col">Hosts missing</th>
                      <th scope="col">Installed on</th>
                      <th scope="col">Top priority</th>
                      <th scope="col">Earliest due</th>
                      <th scope="col">Reliability</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((p) => (
                      <tr key={p.id}>
                        <td>
                          <Link to={`/patches/${p.id}`}>{p.id}</Link>
                          <div className="small">{p.title}</div>
                        </td>
                        <td className="num">{p.affectedHosts}</td>
                        <td className="num">{p.installedHosts}</td>
                        <td className="num">{p.maxScore ?? '—'}</td>
                        <td>
                          <Time at={p.earliestDue} />
                        </td>
                        <td>
                          {p.decision ? (
                            <>
                              <Badge value={p.decision.decision} /> <span className="small">{p.decision.score ?? 'no score'}</span>
                            </>
                          ) : (
                            <span className="muted">not scored</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
          </section>
        )}
      </QueryView>
    </>
  );
}
