/**
 * One host for the help desk: who and what it is, its ring and whole patch
 * state (missing with priority, deadline and reasons; mitigated; installed;
 * its rollouts in progress, failed, rolled back, blocked or waiting for a
 * reboot) with each missing patch's reliability, its recent commands, and
 * its timeline of changes beside its health (one chart with a table on the
 * same hours). The patch state, reliability, ring, commands and timeline
 * come from one call, GET /hosts/{id}/overview; the facts and health from
 * their own.
 */
import { useQuery } from '@tanstack/react-query';
import { hosts } from '../api/endpoints';
import type { HostDetail, HostHealth, HostOverview } from '../api/types';
import { Badge, Time } from '../components/format';
import { changeMarkers, HEALTH_LINES, healthSeries, timelineRows } from '../components/host-timeline';
import { LineChart } from '../components/line-chart';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { Link } from '../router';
import type { PageProps } from '../routes';

function Facts({ h }: { h: HostDetail }) {
  const labels = Object.entries(h.labels);
  const users = [...new Set((h.facts?.users ?? []).map((u) => u.user))];
  const reboot = h.facts?.pendingReboot;
  return (
    <dl className="facts">
      <dt>State</dt>
      <dd>
        <Badge value={h.online ? 'online' : 'offline'} /> last seen <Time at={h.lastSeenAt} />
      </dd>
      <dt>FQDN</dt>
      <dd>{h.fqdn ?? '—'}</dd>
      <dt>Addresses</dt>
      <dd>{h.addresses.join(', ') || '—'}</dd>
      <dt>OS</dt>
      <dd>
        {h.os.name || `${h.os.id} ${h.os.version}`} ({h.os.arch}, kernel {h.os.kernel})
      </dd>
      <dt>Hardware</dt>
      <dd>
        {h.hardware.vendor} {h.hardware.model}, serial {h.hardware.serial || '—'}
      </dd>
      <dt>Signed-in users</dt>
      <dd>{users.length ? users.join(', ') : '—'}</dd>
      <dt>Pending reboot</dt>
      <dd>{reboot ? (reboot.required ? `yes${reboot.reasons.length ? ` (${reboot.reasons.join(', ')})` : ''}` : 'no') : '—'}</dd>
      <dt>Packages</dt>
      <dd>{h.packageCount.toLocaleString()}</dd>
      <dt>Labels</dt>
      <dd>{labels.length ? labels.map(([k, v]) => `${k}=${v}`).join(', ') : '—'}</dd>
      <dt>Enrolled</dt>
      <dd>
        <Time at={h.enrolledAt} />
      </dd>
      <dt>Host id</dt>
      <dd className="mono">{h.id}</dd>
    </dl>
  );
}

type Overview = HostOverview;
type MissingRow = Overview['patches']['missing'][number];
type InRollout = Overview['patches']['inProgress'][number];

/** The figures of the patch state, in the order help desk reads them. */
const COUNTS: [Exclude<keyof Overview['summary'], 'rebootReported' | 'byTier'>, string][] = [
  ['missing', 'Missing'], ['overdue', 'Overdue'], ['mitigated', 'Mitigated'], ['installed', 'Installed'], ['inProgress', 'In progress'],
  ['failed', 'Failed'], ['rolledBack', 'Rolled back'], ['blocked', 'Blocked'], ['pendingReboot', 'Pending reboot'],
];

function Ring({ o }: { o: Overview }) {
  const r = o.ring;
  if (!r) return <p className="muted">Not in a ring yet: rollouts do not reach it.</p>;
  return (
    <p>
      Ring <Link to={`/rings/${r.id}`}>{r.name}</Link> <span className="small muted">({r.reason}, since <Time at={r.assignedAt} />)</span>
    </p>
  );
}

function PatchState({ o }: { o: Overview }) {
  const s = o.summary;
  const { reported } = o.patches.pendingReboot;
  const cov = o.patches.coverage;
  return (
    <>
      <Ring o={o} />
      <dl className="figures compact">
        {COUNTS.map(([key, label]) => (
          <div className="figure" key={key}><dt>{label}</dt><dd>{s[key]}</dd></div>
        ))}
      </dl>
      <p className="small">
        {s.byTier.critical} critical, {s.byTier.high} high, {s.byTier.medium} medium, {s.byTier.low} low missing. Assessed <Time at={o.patches.assessedAt} />
        {cov && !cov.covered ? ` — not covered by an advisory source${cov.reason ? `: ${cov.reason}` : ''}` : ''}. The host reports {reported ? (reported.required ? `a pending reboot${reported.reasons.length ? ` (${reported.reasons.join(', ')})` : ''}` : 'no pending reboot') : 'nothing about reboots'}.
      </p>
    </>
  );
}

function MissingTable({ rows, caption }: { rows: MissingRow[]; caption: string }) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Patch</th>
            <th scope="col">Priority</th>
            <th scope="col">Due by</th>
            <th scope="col">Reliability</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((m) => (
            <tr key={m.id}>
              <td>
                <Link to={`/patches/${m.id}`}>{m.id}</Link>
                <div className="small">{m.title}</div>
                <div className="small muted">
                  {m.kind}, {m.cveCount} CVE{m.cveCount === 1 ? '' : 's'}
                  {m.requires ? `, needs ${m.requires}` : ''}
                </div>
                {m.priority.reasons.length ? (
                  <details className="small">
                    <summary>Why this priority</summary>
                    <ul className="plain-list">
                      {m.priority.reasons.map((r) => (
                        <li key={r}>{r}</li>
                      ))}
                    </ul>
                  </details>
                ) : null}
              </td>
              <td>
                <Badge value={m.priority.tier} /> <span className="small">{m.priority.score}</span>
              </td>
              <td>
                <Time at={m.priority.dueBy} /> {m.overdue ? <Badge value="overdue" /> : null}
                {m.mitigation ? (
                  <div className="small">
                    {m.mitigation.state} until <Time at={m.mitigation.expiresAt} />: {m.mitigation.description} ({m.mitigation.owner})
                  </div>
                ) : null}
              </td>
              <td>
                {m.decision ? (
                  <>
                    <Badge value={m.decision.decision} /> <span className="small">score {m.decision.score ?? 'none yet'}</span>
                    {m.decision.cautious ? <div className="small muted">cautious: low confidence</div> : null}
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
  );
}

function Missing({ o }: { o: Overview }) {
  const p = o.patches;
  return (
    <>
      {p.missing.length === 0 ? (
        <p className="muted">{p.assessedAt ? 'Nothing missing that the catalog knows of.' : 'Not assessed yet: no advisory source covers this host, or its first report is still being assessed.'}</p>
      ) : (
        <MissingTable rows={p.missing} caption={`Missing patches of ${o.host.hostname}, most urgent first`} />
      )}
      {p.mitigated.length ? (
        <>
          <h3 className="small-heading">Mitigated, not yet patched</h3>
          <MissingTable rows={p.mitigated} caption={`Mitigated, not yet patched on ${o.host.hostname}`} />
        </>
      ) : null}
    </>
  );
}

function Rollouts({ o }: { o: Overview }) {
  const p = o.patches;
  const groups: [string, InRollout[]][] = [
    ['failed', p.failed], ['blocked', p.blocked], ['pending reboot', p.pendingReboot.rollouts], ['in progress', p.inProgress], ['rolled back', p.rolledBack],
  ];
  const rows = groups.flatMap(([group, list]) => list.map((e) => ({ group, e })));
  if (rows.length === 0) return <p className="muted">In no rollout that is running, failed, blocked, rolled back or waiting for a reboot.</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{o.host.hostname} in rollouts: failed, blocked, pending reboot, in progress, rolled back</caption>
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Rollout</th>
            <th scope="col">Installs</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ group, e }) => (
            <tr key={`${group}-${e.rolloutId}`}>
              <td>
                <Badge value={group} /> <span className="small">{e.state}</span>
                {e.errorCode ? <div className="small mono">{e.errorCode}</div> : null}
              </td>
              <td>
                <Link to={`/rollouts/${e.rolloutId}`}>{e.rolloutName}</Link>
                <div className="small muted">
                  ring {e.ringName ?? e.ringId}, {e.rolloutState}
                </div>
              </td>
              <td className="small">{e.kb ?? (e.packages.map((x) => `${x.name} ${x.version}`).join(', ') || e.patches.join(', '))}</td>
              <td>
                <Time at={e.since} />
                {e.rebootDueBy ? (
                  <div className="small">
                    reboot due <Time at={e.rebootDueBy} />
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Timeline({ o }: { o: Overview }) {
  if (o.timeline.length === 0) return <p className="muted">No changes recorded yet.</p>;
  return (
    <ol className="plain-list small" aria-label={`Changes on ${o.host.hostname}, newest first`}>
      {o.timeline.map((e, i) => (
        <li key={`${e.at}-${e.event}-${i}`}>
          <Time at={e.at} /> {e.summary}
          {e.rolloutId ? (
            <>
              {' '}
              (<Link to={`/rollouts/${e.rolloutId}`}>rollout</Link>)
            </>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

/** Health counts by interval as lines, the host's changes as marks on the same hours, and the table of both. */
function HealthBesideChanges({ h, o }: { h: HostHealth; o: Overview }) {
  const from = Date.parse(h.from);
  const to = Date.parse(h.to);
  const series = healthSeries(h.series);
  const markers = changeMarkers(o.timeline, from, to);
  const rows = timelineRows(h, o.timeline);
  const t = h.totals;
  const description = `${t.samples} health samples: ${t.appCrashes + t.kernelCrashes} crashes, ${t.serviceFailures} service failures, ${t.unexpectedShutdowns} unexpected shutdowns, ${t.probeFailures} probe failures; ${markers.length} changes marked. The table below lists the same hours.`;
  return (
    <>
      <LineChart title={`Health and changes of ${o.host.hostname}, last 24 hours`} description={description} series={series} markers={markers} range={[from, to]} unit="events" />
      {rows.length === 0 ? (
        <p className="muted">No health sample and no change in these hours.</p>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Health and changes by hour, scrolls sideways">
          <table>
            <caption className="visually-hidden">Health and changes of {o.host.hostname} by hour, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Hour from</th>
                {HEALTH_LINES.map((l) => (
                  <th scope="col" key={l.key}>{l.label}</th>
                ))}
                <th scope="col">Changes and health events</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.start}>
                  <td><Time at={r.start} /></td>
                  {r.counts.map((c, i) => (
                    <td className="num" key={HEALTH_LINES[i]!.key}>{c ?? '—'}</td>
                  ))}
                  <td className="small">
                    <ul className="plain-list">
                      {r.changes.map((c, i) => (
                        <li key={`c${i}`}>
                          <Time at={c.at} /> {c.summary}
                        </li>
                      ))}
                      {r.events.map((e, i) => (
                        <li key={`e${i}`}>
                          <Time at={e.at} /> {e.kind}: {e.subject}
                          {e.message ? ` — ${e.message}` : ''}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function Commands({ o }: { o: Overview }) {
  if (o.commands.length === 0) return <p className="muted">No commands sent to this host yet.</p>;
  // No links inside: focusable so a keyboard can scroll it sideways on a phone.
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Recent commands, scrolls sideways">
      <table>
        <caption className="visually-hidden">Recent commands to {o.host.hostname}, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Command</th>
            <th scope="col">State</th>
            <th scope="col">Issued</th>
            <th scope="col">Finished</th>
          </tr>
        </thead>
        <tbody>
          {o.commands.map((c) => (
            <tr key={c.id}>
              <td>
                {c.action} {c.target}
                <div className="small muted">by {c.createdBy}</div>
              </td>
              <td>
                <Badge value={c.state} />
                {c.errorCode ? <div className="small">{c.errorCode}{c.errorMessage ? `: ${c.errorMessage}` : ''}</div> : null}
              </td>
              <td><Time at={c.issuedAt} /></td>
              <td><Time at={c.finishedAt} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Health({ h }: { h: HostHealth }) {
  const t = h.totals;
  return (
    <>
      <dl className="figures compact">
        <div className="figure"><dt>Samples</dt><dd>{t.samples}</dd></div>
        <div className="figure"><dt>App crashes</dt><dd>{t.appCrashes}</dd></div>
        <div className="figure"><dt>Kernel crashes</dt><dd>{t.kernelCrashes}</dd></div>
        <div className="figure"><dt>Service failures</dt><dd>{t.serviceFailures}</dd></div>
        <div className="figure"><dt>Unexpected shutdowns</dt><dd>{t.unexpectedShutdowns}</dd></div>
        <div className="figure"><dt>Probe failures</dt><dd>{t.probeFailures} of {t.probeRuns}</dd></div>
      </dl>
      {h.unavailable.length ? <p className="muted small">Not reported by this host: {h.unavailable.join(', ')}.</p> : null}
      {h.events.length ? (
        <ul className="plain-list small">
          {h.events.slice(-10).reverse().map((e, i) => (
            <li key={`${e.at}-${i}`}>
              <Time at={e.at} /> {e.kind}: {e.subject}
              {e.message ? ` — ${e.message}` : ''}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

export default function Host({ params }: PageProps) {
  const id = params.id ?? '';
  const host = useQuery({ queryKey: ['host', id], queryFn: () => hosts.get(id) });
  const overview = useQuery({ queryKey: ['host-overview', id], queryFn: () => hosts.overview(id) });
  const health = useQuery({ queryKey: ['host-health', id], queryFn: () => hosts.health(id) });
  const name = host.data?.hostname ?? id;
  return (
    <>
      <p className="crumbs">
        <Link to="/hosts">Hosts</Link> /
      </p>
      <PageTitle title={name}>{name}</PageTitle>
      <div className="columns">
        <section aria-labelledby="facts-h">
          <h2 id="facts-h">Facts</h2>
          <QueryView query={host} what="the host">
            {(h) => <Facts h={h} />}
          </QueryView>
        </section>
        <section aria-labelledby="state-h">
          <h2 id="state-h">Patch state</h2>
          <QueryView query={overview} what="its patch state">
            {(o) => <PatchState o={o} />}
          </QueryView>
        </section>
      </div>
      <section aria-labelledby="patches-h">
        <h2 id="patches-h">Missing patches</h2>
        <QueryView query={overview} what="its patches">
          {(o) => <Missing o={o} />}
        </QueryView>
      </section>
      <section aria-labelledby="rollouts-h">
        <h2 id="rollouts-h">Rollouts</h2>
        <QueryView query={overview} what="its rollouts">
          {(o) => <Rollouts o={o} />}
        </QueryView>
        {overview.data?.patches.installed.length ? (
          <details>
            <summary>Installed patches ({overview.data.patches.installed.length})</summary>
            <p className="small">{overview.data.patches.installed.join(', ')}</p>
          </details>
        ) : null}
      </section>
      <section aria-labelledby="beside-h">
        <h2 id="beside-h">Health beside changes, last 24 hours</h2>
        {health.data && overview.data ? (
          <HealthBesideChanges h={health.data} o={overview.data} />
        ) : (
          <QueryView query={health.data ? overview : health} what="its health and changes">
            {() => null}
          </QueryView>
        )}
      </section>
      <div className="columns">
        <section aria-labelledby="health-h">
          <h2 id="health-h">Health, last 24 hours</h2>
          <QueryView query={health} what="its health">
            {(x) => <Health h={x} />}
          </QueryView>
        </section>
        <section aria-labelledby="timeline-h">
          <h2 id="timeline-h">Timeline</h2>
          <QueryView query={overview} what="its timeline">
            {(o) => <Timeline o={o} />}
          </QueryView>
        </section>
      </div>
      <section aria-labelledby="commands-h">
        <h2 id="commands-h">Recent commands</h2>
        <QueryView query={overview} what="its commands">
          {(o) => <Commands o={o} />}
        </QueryView>
      </section>
    </>
  );
}
