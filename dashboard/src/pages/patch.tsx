/**
 * One patch: what it fixes, its reliability score and decision with reasons,
 * the score's history by host class (a chart and its table), the cohorts
 * (each class's hosts, score and confidence), the safety stops that concern
 * it (the rollouts carrying it with their state and halt reason, its blocks
 * and incidents from tripped health gates), and the hosts that miss it.
 */
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { patches, rollouts, safety, START_ROLLOUT_ROLE } from '../api/endpoints';
import type { Incident, PatchBlock, Reliability, RolloutSummary } from '../api/types';
import { Badge, Time } from '../components/format';
import { countsText } from '../components/host-counts';
import { LineChart } from '../components/line-chart';
import { ALL_CLASSES, classOptions, historyRows, historySeries, historySummary } from '../components/reliability-history';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { Link } from '../router';
import type { PageProps } from '../routes';
import { useSession } from '../session';

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

function History({ r }: { r: Reliability }) {
  const [selected, setSelected] = useState(ALL_CLASSES);
  const options = classOptions(r.history, r.classes);
  const series = historySeries(r.history, r.classes, selected);
  const rows = historyRows(r.history, r.classes, selected);
  if (r.history.length === 0) return <p className="muted">No score recorded yet.</p>;
  return (
    <>
      {options.length > 1 ? (
        <div className="select-row">
          <label htmlFor="rel-class">Show</label>
          <select id="rel-class" value={selected} onChange={(e) => setSelected(e.target.value)}>
            <option value={ALL_CLASSES}>Every class</option>
            {options.map((o) => (
              <option key={o.value || 'whole'} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <LineChart title={`Reliability score of ${r.patchId} over time`} description={historySummary(series)} series={series} yMax={100} unit="score" />
      <div className="table-wrap" tabIndex={0} role="region" aria-label="Score changes, scrolls sideways">
        <table>
          <caption className="visually-hidden">Reliability score changes of {r.patchId}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Class</th>
              <th scope="col">Score</th>
              <th scope="col">Confidence</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((h, i) => (
              <tr key={`${h.at}-${h.label}-${i}`}>
                <td><Time at={h.at} /></td>
                <td>{h.label}</td>
                <td className="num">{h.score}</td>
                <td className="num">{pct(h.confidence)}</td>
                <td className="small">{h.reasons.join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Cohorts({ r }: { r: Reliability }) {
  if (r.classes.length === 0) return <p className="muted">No host class has an outcome yet: the score is the prior (known issues, the product's history).</p>;
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Cohorts, scrolls sideways">
      <table>
        <caption className="visually-hidden">Host classes of {r.patchId}: hosts with an outcome, harmed, score and confidence, lowest score first</caption>
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col">Hosts with an outcome</th>
            <th scope="col">Harmed</th>
            <th scope="col">Score</th>
            <th scope="col">Confidence</th>
            <th scope="col">Probability of harm</th>
          </tr>
        </thead>
        <tbody>
          {r.classes.map((c) => (
            <tr key={c.hostClass}>
              <td>
                {c.label}
                {c.reasons.length ? <div className="small muted">{c.reasons.join('; ')}</div> : null}
              </td>
              <td className="num">{c.trials}</td>
              <td className="num">{c.harmed}</td>
              <td className="num">{c.score}</td>
              <td className="num">{pct(c.confidence)}</td>
              <td className="num">{(c.pHarm * 100).toFixed(1)} %</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Gates({ blocks, incidents, carriers }: { blocks: PatchBlock[]; incidents: Incident[]; carriers: RolloutSummary[] }) {
  return (
    <>
      {carriers.length ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Rollouts carrying this patch, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Rollout</th>
                <th scope="col">State</th>
                <th scope="col">Hosts</th>
              </tr>
            </thead>
            <tbody>
              {carriers.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/rollouts/${r.id}`}>{r.name}</Link>
                    <div className="small muted">
                      started <Time at={r.createdAt} />
                    </div>
                  </td>
                  <td>
                    <Badge value={r.state} />
                    {r.stateReason ? <div className="small">{r.stateReason}</div> : null}
                  </td>
                  <td className="small">{countsText(r.hosts)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">No rollout carries this patch.</p>
      )}
      {blocks.length === 0 && incidents.length === 0 ? <p className="muted">No health gate has tripped on this patch.</p> : null}
      {blocks.length ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Blocks of this patch, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Block</th>
                <th scope="col">Scope</th>
                <th scope="col">Since</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {blocks.map((b) => (
                <tr key={b.id}>
                  <td>
                    <Badge value={b.state === 'active' ? 'blocked' : 'lifted'} />
                    {b.rolloutId ? (
                      <div className="small">
                        <Link to={`/rollouts/${b.rolloutId}`}>its rollout</Link>
                      </div>
                    ) : null}
                  </td>
                  <td>{b.scope}</td>
                  <td>
                    <Time at={b.createdAt} />
                    {b.liftedAt ? (
                      <div className="small">
                        lifted <Time at={b.liftedAt} /> by {b.liftedBy}
                        {b.liftReason ? `: ${b.liftReason}` : ''}
                      </div>
                    ) : null}
                  </td>
                  <td className="small">{b.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {incidents.length ? (
        <>
          <h3 className="small-heading">Incidents</h3>
          <ul className="plain-list small">
            {incidents.map((i) => (
              <li key={i.id}>
                <Badge value={i.state === 'open' ? 'open' : 'resolved'} /> gate <strong>{i.gate}</strong> tripped for {i.scope}, <Time at={i.openedAt} />: {i.summary}
                {i.harmedHosts.length ? ` (${i.harmedHosts.length} host${i.harmedHosts.length === 1 ? '' : 's'} harmed, ${i.rolledBackHosts.length} rolled back)` : ''}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}

export default function Patch({ params }: PageProps) {
  const id = params.id ?? '';
  const patch = useQuery({ queryKey: ['patch', id], queryFn: () => patches.get(id) });
  const rel = useQuery({ queryKey: ['reliability', id], queryFn: () => patches.reliability(id) });
  const { can } = useSession();
  const blocks = useQuery({ queryKey: ['blocks', id], queryFn: () => safety.blocks(id) });
  const incidents = useQuery({ queryKey: ['incidents', id], queryFn: () => safety.incidents(id) });
  const carriers = useQuery({ queryKey: ['rollouts', 'patch', id], queryFn: () => rollouts.ofPatch(id) });
  const gates = blocks.data && incidents.data && carriers.data ? { blocks: blocks.data.items, incidents: incidents.data.items, carriers: carriers.data.items } : undefined;
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
      <section aria-labelledby="history-h">
        <h2 id="history-h">Score over time</h2>
        <QueryView query={rel} what="its score's history">
          {(r) => <History r={r} />}
        </QueryView>
      </section>
      <section aria-labelledby="cohorts-h">
        <h2 id="cohorts-h">Cohorts by host class</h2>
        <QueryView query={rel} what="its cohorts">
          {(r) => <Cohorts r={r} />}
        </QueryView>
      </section>
      <section aria-labelledby="gates-h">
        <h2 id="gates-h">Rollouts and health gates</h2>
        <QueryView query={{ data: gates, error: blocks.error ?? incidents.error ?? carriers.error, isPending: blocks.isPending || incidents.isPending || carriers.isPending }} what="its rollouts, blocks and incidents">
          {(g) => <Gates blocks={g.blocks} incidents={g.incidents} carriers={g.carriers} />}
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
