/**
 * One rollout, ring by ring: state, window note, waves, approvals, gate,
 * host progress, and why it halted. Its controls appear only for the roles
 * the API allows them (pause, resume, cancel: operator; approve, roll back:
 * admin) and only in the states where they apply; an admin who approved a
 * ring is told a second admin must approve, not offered the button again
 * (the API refuses a second approval by the same person anyway).
 */
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { ROLLOUT_ACTIONS, rollouts, type RolloutAction } from '../api/endpoints';
import type { Rollout, RolloutRing, RolloutState } from '../api/types';
import { Badge, Progress, Time } from '../components/format';
import { countsText, progressOf } from '../components/host-counts';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { Link } from '../router';
import type { PageProps } from '../routes';
import { useSession } from '../session';

/** The states each action may start from (controller/src/rollout/rollout-control.ts). */
const ALLOWED_FROM: Record<RolloutAction, readonly RolloutState[]> = {
  pause: ['active'],
  resume: ['paused', 'halted'],
  cancel: ['active', 'paused', 'halted'],
  rollback: ['active', 'paused', 'halted', 'completed', 'cancelled'],
};
const LABEL: Record<RolloutAction, string> = { pause: 'Pause', resume: 'Resume', cancel: 'Cancel rollout', rollback: 'Roll back' };
/** Actions that cannot be undone ask first. */
const ASK: Partial<Record<RolloutAction, string>> = {
  cancel: 'Cancel this rollout for good? Commands not yet accepted are cancelled.',
  rollback: 'Roll back every host this rollout installed on?',
};

function needsApproval(r: Rollout, ring: RolloutRing): boolean {
  return ['active', 'paused', 'halted'].includes(r.state) && (ring.state === 'waiting' || ring.state === 'scheduled') && ring.approvals.by.length < ring.approvals.needed;
}

function Controls({ r }: { r: Rollout }) {
  const { can } = useSession();
  const queries = useQueryClient();
  const [reason, setReason] = useState('');
  const act = useMutation({
    mutationFn: ({ action }: { action: RolloutAction }) => rollouts.act(r.id, action, reason.trim() || undefined),
    onSuccess: (next) => {
      queries.setQueryData(['rollout', r.id], next);
      void queries.invalidateQueries({ queryKey: ['rollouts'] });
      setReason('');
    },
  });
  const actions = (Object.keys(ROLLOUT_ACTIONS) as RolloutAction[]).filter((a) => can(ROLLOUT_ACTIONS[a]) && ALLOWED_FROM[a].includes(r.state));
  if (actions.length === 0) return null;
  const run = (action: RolloutAction) => {
    const question = ASK[action];
    if (question && !window.confirm(question)) return;
    act.mutate({ action });
  };
  return (
    <section aria-labelledby="controls-h" className="panel">
      <h2 id="controls-h">Steer this rollout</h2>
      <div className="field">
        <label htmlFor="rollout-reason">Reason (kept in the audit log)</label>
        <input id="rollout-reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
      </div>
      <div className="button-row">
        {actions.map((a) => (
          <button key={a} type="button" className={a === 'cancel' || a === 'rollback' ? 'button-danger' : undefined} disabled={act.isPending} onClick={() => run(a)}>
            {LABEL[a]}
          </button>
        ))}
      </div>
      {act.error ? (
        <p className="note note-error" role="alert">
          {act.error instanceof ApiError ? `${act.error.message} (${act.error.code})` : String(act.error)}
        </p>
      ) : null}
    </section>
  );
}

function Rings({ r }: { r: Rollout }) {
  const { can, user } = useSession();
  const queries = useQueryClient();
  const approve = useMutation({
    mutationFn: (ring: string) => rollouts.approve(r.id, ring),
    onSuccess: (res) => {
      queries.setQueryData(['rollout', r.id], res.rollout);
      void queries.invalidateQueries({ queryKey: ['rollouts'] });
    },
  });
  return (
    <>
      <ol className="rings">
        {r.rings.map((ring) => {
          const p = progressOf(ring.hosts);
          return (
            <li key={ring.ringId} className="ring-card">
              <h3>
                {ring.position + 1}. {ring.ring} <Badge value={ring.state} />
              </h3>
              <Progress done={p.finished} total={p.total} label={`Ring ${ring.ring}: hosts finished`} />
              <p className="small">{countsText(ring.hosts)}</p>
              <dl className="facts small">
                <dt>Eligible</dt>
                <dd>
                  <Time at={ring.eligibleAt} />
                </dd>
                <dt>Deadline</dt>
                <dd>
                  <Time at={ring.deadlineAt} />
                  {ring.deadlineMissed ? ` (${ring.deadlineMissed} hosts missed it)` : ''}
                </dd>
                {ring.soakUntil ? (
                  <>
                    <dt>Soaks until</dt>
                    <dd>
                      <Time at={ring.soakUntil} />
                    </dd>
                  </>
                ) : null}
                <dt>Waves</dt>
                <dd>{ring.wave === 0 ? 'none ordered yet' : `${ring.wave} ordered`}</dd>
                <dt>Health gate</dt>
                <dd>
                  {ring.gate.state}
                  {ring.gate.trippedClasses.length ? `; tripped for ${ring.gate.trippedClasses.join(', ')}` : ''}
                </dd>
                {ring.approvals.needed > 0 ? (
                  <>
                    <dt>Approvals</dt>
                    <dd>
                      {ring.approvals.by.length} of {ring.approvals.needed}
                      {ring.approvals.by.length ? ` (${ring.approvals.by.join(', ')})` : ''}
                    </dd>
                  </>
                ) : null}
              </dl>
              {ring.note ? <p className="small muted">{ring.note}</p> : null}
              {can('admin') && needsApproval(r, ring) ? (
                user && ring.approvals.by.includes(user.name) ? (
                  <p className="small approved">You approved ring {ring.ring}; the next approval must come from another admin.</p>
                ) : (
                  <button type="button" disabled={approve.isPending} onClick={() => approve.mutate(ring.ring)}>
                    Approve ring {ring.ring}
                  </button>
                )
              ) : null}
            </li>
          );
        })}
      </ol>
      {/* Outside the list: an <ol> holds only list items, and these are announcements, not rings. */}
      <div aria-live="polite">
        {approve.isSuccess && approve.variables ? (
          <p className="note note-good">
            Approved ring {approve.variables}: {approve.data.approvals} of {approve.data.needed} approvals{approve.data.approvals < approve.data.needed ? ', waiting for another admin' : ', the ring may start'}.
          </p>
        ) : null}
        {approve.error ? (
          <p className="note note-error" role="alert">
            {approve.error instanceof ApiError ? `${approve.error.message} (${approve.error.code})` : String(approve.error)}
          </p>
        ) : null}
      </div>
    </>
  );
}

/** Every host of the rollout with how far it got, behind a disclosure (a rollout can hold thousands). */
function Hosts({ id }: { id: string }) {
  const [open, setOpen] = useState(false);
  const hosts = useQuery({ queryKey: ['rollout-hosts', id], queryFn: () => rollouts.hosts(id), enabled: open, refetchInterval: open ? 15_000 : false });
  return (
    <details onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>Hosts of this rollout</summary>
      {open ? (
        <QueryView query={hosts} what="its hosts">
          {(h) =>
            h.items.length === 0 ? (
              <p className="muted">No hosts.</p>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Host</th>
                      <th scope="col">Ring</th>
                      <th scope="col">Wave</th>
                      <th scope="col">State</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Installed</th>
                      <th scope="col">Error</th>
                    </tr>
                  </thead>
                  <tbody>
                    {h.items.map((x) => (
                      <tr key={x.hostId}>
                        <td>
                          <Link to={`/hosts/${x.hostId}`} className="mono">
                            {x.hostId}
                          </Link>
                        </td>
                        <td>{x.ring}</td>
                        <td className="num">{x.wave ?? '—'}</td>
                        <td>
                          <Badge value={x.state} />
                          {x.deadlineMissedAt ? <span className="small"> deadline missed</span> : null}
                        </td>
                        <td className="num">{x.attempts}</td>
                        <td>
                          <Time at={x.installedAt} />
                          {x.rebootRequired ? <span className="small"> (reboot: {x.bootState})</span> : null}
                        </td>
                        <td className="mono small">{x.errorCode ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryView>
      ) : null}
    </details>
  );
}

export default function RolloutPage({ params }: PageProps) {
  const id = params.id ?? '';
  // Live hints (api/live.ts) refresh it when the API or the planner changes it; the poll only covers lost hints.
  const rollout = useQuery({ queryKey: ['rollout', id], queryFn: () => rollouts.get(id), refetchInterval: 30_000 });
  const name = rollout.data?.name ?? id;
  return (
    <>
      <p className="crumbs">
        <Link to="/rollouts">Rollouts</Link> /
      </p>
      <PageTitle title={name}>{name}</PageTitle>
      <QueryView query={rollout} what="the rollout">
        {(r) => {
          const p = progressOf(r.hosts);
          return (
            <>
              <p>
                <Badge value={r.state} /> {r.stateReason ? <span>{r.stateReason}</span> : null} {r.expedite ? <Badge value="expedited" /> : null}
              </p>
              {r.state === 'halted' ? (
                <p className="note note-error" role="status">
                  Halted{r.stateReason ? `: ${r.stateReason}` : ''}. Nothing new is ordered until someone resumes it; resuming retries the halted ring&apos;s failed hosts.
                </p>
              ) : null}
              <p className="small">
                Started <Time at={r.createdAt} /> by {r.createdBy}. Carries {[...r.content.patches, ...r.content.packages.map((x) => `${x.name} ${x.version}`)].join(', ') || 'nothing listed'}.
              </p>
              <Progress done={p.finished} total={p.total} label="All rings: hosts finished" />
              <Controls r={r} />
              <section aria-labelledby="rings-h">
                <h2 id="rings-h">Rings</h2>
                <Rings r={r} />
              </section>
              <Hosts id={r.id} />
              {r.incidents.length ? (
                <section aria-labelledby="incidents-h">
                  <h2 id="incidents-h">Incidents</h2>
                  <ul className="plain-list">
                    {r.incidents.map((i) => (
                      <li key={i.id}>
                        <Badge value={i.state} /> {i.summary} <span className="small muted">({i.gate}, {i.hostClass ?? 'fleet-wide'}, <Time at={i.openedAt} />)</span>
                      </li>
                    ))}
                  </ul>
                </section>
              ) : null}
            </>
          );
        }}
      </QueryView>
    </>
  );
}
