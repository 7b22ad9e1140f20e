/** One patch: what it fixes, its reliability score and decision with reasons, and the hosts that miss it. */
import { useQuery } from '@tanstack/react-query';
import { patches, START_ROLLOUT_ROLE } from '../api/endpoints';
import { Badge, Time } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { Link } from '../router';
import type { PageProps } from '../routes';
import { useSession } from '../session';

export default function Patch({ params }: PageProps) {
  const id = params.id ?? '';
  const patch = useQuery({ queryKey: ['patch', id], queryFn: () => patches.get(id) });
  const rel = useQuery({ queryKey: ['reliability', id], queryFn: () => patches.reliability(id) });
  const { can } = useSession();
  return (
    <>
      <p className="crumbs">
        <Link to="/patches">Patches</Link> /
      </p>
      <PageTitle title={id} actions={can(START_ROLLOUT_ROLE) ? <Link to={`/rollouts/new?patch=${encodeURIComponent(id)}`}>Start a rollout of {id}</Link> : undefined}>
        {id}
      </PageTitle>
      <QueryView query={patch} what="the patch">
        {(p) => (
          <>
            <p>{p.title}</p>
            <dl className="facts">
              <dt>Kind</dt>
              <dd>{p.kind === 'usn' ? 'Ubuntu Security Notice' : 'Windows update (KB)'}</dd>
              <dt>{p.kind === 'usn' ? 'Published' : 'Month'}</dt>
              <dd>{p.kind === 'usn' ? <Time at={p.published} /> : (p.month ?? '—')}</dd>
              <dt>CVEs</dt>
              <dd>{p.cves?.length ? p.cves.join(', ') : '—'}</dd>
              <dt>Hosts</dt>
              <dd>
                {p.affectedHosts} missing, {p.installedHosts} installed
              </dd>
            </dl>
          </>
        )}
      </QueryView>
      <section aria-labelledby="rel-h">
        <h2 id="rel-h">Reliability</h2>
        <QueryView query={rel} what="its reliability">
          {(r) => (
            <>
              <p>
                <Badge value={r.decision} /> score <strong>{r.score ?? 'none yet'}</strong>, confidence {(r.confidence * 100).toFixed(0)} %
                {r.pHarm !== null ? `, probability of harm ${(r.pHarm * 100).toFixed(1)} %` : ''}
                {r.cautious ? ' (cautious: smaller waves, longer soak)' : ''}
              </p>
              {r.reasons.length ? (
                <ul className="small">
                  {r.reasons.map((x) => (
                    <li key={x}>{x}</li>
                  ))}
                </ul>
              ) : null}
            </>
          )}
        </QueryView>
      </section>
      <QueryView query={patch} what="the hosts missing it">
        {(p) => (
          <section aria-labelledby="missing-h">
            <h2 id="missing-h">Hosts missing it</h2>
            {p.hosts.length === 0 ? (
              <p className="muted">No host misses this patch.</p>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Host</th>
                      <th scope="col">Priority</th>
                      <th scope="col">Due by</th>
                      <th scope="col">State</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.hosts.map((h) => (
                      <tr key={h.hostId}>
                        <td>
                          <Link to={`/hosts/${h.hostId}`}>{h.hostname}</Link>
                        </td>
                        <td>
                          <Badge value={h.tier} /> <span className="small">{h.score}</span>
                        </td>
                        <td>
                          <Time at={h.dueBy} />
                        </td>
                        <td>{h.state}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        )}
      </QueryView>
    </>
  );
}
