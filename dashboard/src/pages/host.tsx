/** One host for the help desk: who and what it is, its missing patches with priority and deadline, and its health beside them. */
import { useQuery } from '@tanstack/react-query';
import { hosts } from '../api/endpoints';
import type { HostDetail, HostHealth, HostPatches } from '../api/types';
import { Badge, Time } from '../components/format';
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

function Patches({ p }: { p: HostPatches }) {
  const s = p.summary;
  return (
    <>
      <p>
        <strong>{s.missing}</strong> missing ({s.byTier.critical ?? 0} critical, {s.byTier.high ?? 0} high), <strong>{s.overdue}</strong> overdue, {s.mitigated} mitigated, {s.installed} installed. Assessed <Time at={p.assessedAt} />.
      </p>
      {p.missing.length === 0 ? (
        <p className="muted">{p.assessedAt ? 'Nothing missing that the catalog knows of.' : 'Not assessed yet: no advisory source covers this host, or its first report is still being assessed.'}</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Missing patches of {p.hostname}, most urgent first</caption>
            <thead>
              <tr>
                <th scope="col">Patch</th>
                <th scope="col">Priority</th>
                <th scope="col">Due by</th>
                <th scope="col">State</th>
                <th scope="col">Reliability</th>
              </tr>
            </thead>
            <tbody>
              {p.missing.map((m) => (
                <tr key={m.id}>
                  <td>
                    <Link to={`/patches/${m.id}`}>{m.id}</Link>
                    <div className="small">{m.title}</div>
                    {m.packages?.length ? <div className="small muted">{m.packages.map((x) => x.name).join(', ')}</div> : null}
                  </td>
                  <td>
                    <Badge value={m.priority.tier} /> <span className="small">{m.priority.score}</span>
                  </td>
                  <td>
                    <Time at={m.priority.dueBy} /> {m.overdue ? <Badge value="overdue" /> : null}
                  </td>
                  <td>{m.state}</td>
                  <td>{m.decision ? <Badge value={m.decision.decision} /> : <span className="muted">not scored</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
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
  const patches = useQuery({ queryKey: ['host-patches', id], queryFn: () => hosts.patches(id) });
  const health = useQuery({ queryKey: ['host-health', id], queryFn: () => hosts.health(id) });
  const name = host.data?.hostname ?? id;
  return (
    <>
      <p className="crumbs">
        <Link to="/hosts">Hosts</Link> /
      </p>
      <PageTitle title={name}>{name}</PageTitle>
      <QueryView query={host} what="the host">
        {(h) => (
          <div className="columns">
            <section aria-labelledby="facts-h">
              <h2 id="facts-h">Facts</h2>
              <Facts h={h} />
            </section>
            <section aria-labelledby="health-h">
              <h2 id="health-h">Health, last 24 hours</h2>
              <QueryView query={health} what="its health">
                {(x) => <Health h={x} />}
              </QueryView>
            </section>
          </div>
        )}
      </QueryView>
      <section aria-labelledby="patches-h">
        <h2 id="patches-h">Missing patches</h2>
        <QueryView query={patches} what="its patches">
          {(p) => <Patches p={p} />}
        </QueryView>
      </section>
    </>
  );
}
