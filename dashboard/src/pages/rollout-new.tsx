/**
 * Starting a rollout (POST /api/v1/rollouts, operators and admins): the
 * patches or package versions, the rings it goes through, and for admins
 * expediting. A patch's page links here with `?patch=USN-…` filled in. On
 * success the new rollout's page opens; a refusal shows the API's message
 * and code.
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { EXPEDITE_ROLE, rings as ringsApi, rollouts } from '../api/endpoints';
import type { Ring } from '../api/types';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { buildStartRequest } from '../components/rollout-request';
import { Link, navigate, useLocation } from '../router';
import { useSession } from '../session';

/** What a ring's policy means for this rollout, in words (approvals as controller/src/rollout/rollout-create.ts counts them). */
function ringPolicyText(r: Ring, expedite: boolean): string {
  const parts = [r.percent === null ? 'hand-picked hosts' : `${r.percent} % of hosts`, expedite ? 'no deferral (expedited)' : `deferral ${r.deferralDays} d`, `deadline ${r.deadlineDays} d`];
  if (r.waveSize > 0) parts.push(`waves of ${r.waveSize}`);
  if (r.approvalRequired) parts.push((r.percent ?? 0) >= 50 || expedite ? 'needs approval by two admins' : 'needs approval by an admin');
  return parts.join(', ');
}

function StartForm({ all }: { all: Ring[] }) {
  const { can } = useSession();
  const { query } = useLocation();
  const queries = useQueryClient();
  const [name, setName] = useState('');
  const [patches, setPatches] = useState(() => query.getAll('patch').join(' '));
  const [packages, setPackages] = useState('');
  const [chosen, setChosen] = useState<string[]>(() => all.map((r) => r.name));
  const [expedite, setExpedite] = useState(false);
  const [releasedAt, setReleasedAt] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const start = useMutation({
    mutationFn: rollouts.start,
    onSuccess: (r) => {
      queries.setQueryData(['rollout', r.id], r);
      void queries.invalidateQueries({ queryKey: ['rollouts'] });
      navigate(`/rollouts/${r.id}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const built = buildStartRequest({ name, patches, packages, rings: chosen, allRings: all.map((r) => r.name), expedite, releasedAt });
    setProblems(built.ok ? [] : built.problems);
    if (built.ok) start.mutate(built.body);
  };
  const toggle = (ring: string, on: boolean) => setChosen(on ? [...chosen, ring] : chosen.filter((r) => r !== ring));
  return (
    <form onSubmit={submit} className="panel" aria-labelledby="start-h" noValidate>
      <h2 id="start-h">What and where</h2>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="start-patches">Patches</label>
          <input id="start-patches" value={patches} onChange={(e) => setPatches(e.target.value)} aria-describedby="start-patches-hint" autoComplete="off" />
          <p id="start-patches-hint" className="small muted">
            Patch ids separated by spaces or commas, e.g. USN-7604-1 or KB5034441.
          </p>
        </div>
        <div className="field">
          <label htmlFor="start-name">Name (optional)</label>
          <input id="start-name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} aria-describedby="start-name-hint" autoComplete="off" />
          <p id="start-name-hint" className="small muted">
            Default: the patch ids.
          </p>
        </div>
      </div>
      <div className="field">
        <label htmlFor="start-packages">Package versions (optional)</label>
        <textarea id="start-packages" rows={2} value={packages} onChange={(e) => setPackages(e.target.value)} aria-describedby="start-packages-hint" />
        <p id="start-packages-hint" className="small muted">
          One name=version per line, for a fix the catalog does not list.
        </p>
      </div>
      <fieldset className="choices">
        <legend>Rings</legend>
        <p className="small muted">Leaving out a ring before the last one ticked is expediting.</p>
        {all.map((r) => (
          <div key={r.id} className="check">
            <input id={`start-ring-${r.id}`} type="checkbox" checked={chosen.includes(r.name)} onChange={(e) => toggle(r.name, e.target.checked)} aria-describedby={`start-ring-${r.id}-policy`} />
            <label htmlFor={`start-ring-${r.id}`}>{r.name}</label>
            <span id={`start-ring-${r.id}-policy`} className="small muted">
              {ringPolicyText(r, expedite)}
            </span>
          </div>
        ))}
      </fieldset>
      <fieldset className="choices">
        <legend>Timing</legend>
        <div className="field">
          <label htmlFor="start-released">Release date deferrals count from (optional)</label>
          <input id="start-released" type="datetime-local" value={releasedAt} onChange={(e) => setReleasedAt(e.target.value)} aria-describedby="start-released-hint" />
          <p id="start-released-hint" className="small muted">
            Default: the advisory&apos;s date. An earlier date is expediting.
          </p>
        </div>
        {can(EXPEDITE_ROLE) ? (
          <div className="check">
            <input id="start-expedite" type="checkbox" checked={expedite} onChange={(e) => setExpedite(e.target.checked)} aria-describedby="start-expedite-hint" />
            <label htmlFor="start-expedite">Expedite</label>
            <span id="start-expedite-hint" className="small muted">
              No deferral or soak; windows and freezes still hold; rings that need approval need two admins. Audited.
            </span>
          </div>
        ) : (
          <p className="small muted">Only admins expedite a rollout.</p>
        )}
      </fieldset>
      <div className="button-row">
        <button type="submit" disabled={start.isPending}>
          Start rollout
        </button>
      </div>
      <div aria-live="polite">
        {problems.length ? (
          <div className="note note-error" role="alert">
            Not started:
            <ul>
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </div>
        ) : null}
        {start.error ? (
          <p className="note note-error" role="alert">
            Not started: {start.error instanceof ApiError ? `${start.error.message} (${start.error.code})` : String(start.error)}
          </p>
        ) : null}
      </div>
    </form>
  );
}

export default function NewRollout() {
  const ringList = useQuery({ queryKey: ['rings'], queryFn: ringsApi.list });
  return (
    <>
      <p className="crumbs">
        <Link to="/rollouts">Rollouts</Link> /
      </p>
      <PageTitle title="Start a rollout">Start a rollout</PageTitle>
      <QueryView query={ringList} what="the rings">
        {(r) => <StartForm all={r.items} />}
      </QueryView>
    </>
  );
}
