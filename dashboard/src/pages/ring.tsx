/**
 * One ring: its settings, the next openings of its windows and the rules that
 * send hosts to it; for admins, forms to change its windows, its approval,
 * reboot and timing policy (PATCH /api/v1/rings/:id) and its rules.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { rings } from '../api/endpoints';
import type { MaintenanceWindow, Ring } from '../api/types';
import { Time } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { NextOpenings, nextWindowsKey } from '../components/next-openings';
import { approvalText, RingPolicyForm } from '../components/ring-policy-form';
import { RingRulesPanel } from '../components/ring-rules-panel';
import { windowsText } from '../components/windows';
import { Link } from '../router';
import type { PageProps } from '../routes';
import { useSession } from '../session';

const BLANK: MaintenanceWindow = { cron: '0 2 * * *', timeZone: 'UTC', durationMin: 240 };

function WindowsForm({ ring }: { ring: Ring }) {
  const queries = useQueryClient();
  const [rows, setRows] = useState<MaintenanceWindow[]>(ring.windows);
  const [saved, setSaved] = useState(false);
  useEffect(() => setRows(ring.windows), [ring.windows]);
  const save = useMutation({
    mutationFn: (windows: MaintenanceWindow[]) => rings.setWindows(ring.id, windows),
    onSuccess: (next) => {
      queries.setQueryData(['ring', ring.id], next);
      void queries.invalidateQueries({ queryKey: ['rings'] });
      void queries.invalidateQueries({ queryKey: nextWindowsKey(ring.id) });
      setSaved(true);
    },
  });
  const set = (i: number, patch: Partial<MaintenanceWindow>) => {
    setSaved(false);
    setRows(rows.map((w, j) => (j === i ? { ...w, ...patch } : w)));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(rows);
  };
  return (
    <form onSubmit={submit} className="panel" aria-labelledby="windows-h">
      <h2 id="windows-h">Maintenance windows</h2>
      <p className="small muted">Installs start only inside a window: a cron expression for its start, its length in minutes, and the time zone it is read in. No window: any time.</p>
      {rows.map((w, i) => (
        <fieldset key={i} className="window-row">
          <legend>Window {i + 1}</legend>
          <div className="field">
            <label htmlFor={`w${i}-cron`}>Starts (cron)</label>
            <input id={`w${i}-cron`} required maxLength={128} value={w.cron} onChange={(e) => set(i, { cron: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={`w${i}-tz`}>Time zone</label>
            <input id={`w${i}-tz`} required maxLength={64} value={w.timeZone} onChange={(e) => set(i, { timeZone: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={`w${i}-dur`}>Length (minutes)</label>
            <input id={`w${i}-dur`} type="number" required min={1} max={10080} value={w.durationMin} onChange={(e) => set(i, { durationMin: Number(e.target.value) })} />
          </div>
          <button type="button" className="button-quiet" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
            Remove window {i + 1}
          </button>
        </fieldset>
      ))}
      <div className="button-row">
        <button type="button" className="button-quiet" onClick={() => setRows([...rows, BLANK])}>
          Add a window
        </button>
        <button type="submit" disabled={save.isPending}>
          Save windows
        </button>
      </div>
      <div aria-live="polite">
        {saved ? <p className="note note-good">Saved: {windowsText(rows)}.</p> : null}
        {save.error ? (
          <p className="note note-error" role="alert">
            {save.error instanceof ApiError ? `Not saved: ${save.error.message} (${save.error.code})` : String(save.error)}
          </p>
        ) : null}
      </div>
    </form>
  );
}

export default function RingPage({ params }: PageProps) {
  const id = params.id ?? '';
  const ring = useQuery({ queryKey: ['ring', id], queryFn: () => rings.get(id) });
  const { can } = useSession();
  const name = ring.data?.name ?? id;
  return (
    <>
      <p className="crumbs">
        <Link to="/rings">Rings</Link> /
      </p>
      <PageTitle title={`Ring ${name}`}>Ring {name}</PageTitle>
      <QueryView query={ring} what="the ring">
        {(r) => (
          <>
            <dl className="facts">
              <dt>Position</dt>
              <dd>{r.position}</dd>
              <dt>Share of hosts</dt>
              <dd>{r.percent === null ? 'pinned and rule-matched hosts only' : `${r.percent} %`}</dd>
              <dt>Deferral, deadline, grace</dt>
              <dd>
                {r.deferralDays}, {r.deadlineDays}, {r.graceDays} days
              </dd>
              <dt>Waves</dt>
              <dd>
                {r.waveSize === 0 ? 'the whole ring at once' : `${r.waveSize} hosts`}, {r.maxConcurrent === 0 ? 'no concurrency limit' : `at most ${r.maxConcurrent} at once`}, soak {r.soakHours} h
              </dd>
              <dt>Windows</dt>
              <dd>{windowsText(r.windows)}</dd>
              <dt>Approval</dt>
              <dd>{approvalText(r)}</dd>
              <dt>Reboot</dt>
              <dd>
                {r.reboot.policy}, within {r.reboot.deadlineHours} h
              </dd>
              <dt>Changed</dt>
              <dd>
                <Time at={r.updatedAt} />
              </dd>
            </dl>
            <NextOpenings ringId={r.id} />
            {can('admin') ? (
              <>
                <WindowsForm ring={r} />
                <RingPolicyForm ring={r} />
              </>
            ) : (
              <p className="muted small">Only admins change rings.</p>
            )}
            <RingRulesPanel ringId={r.id} ringName={r.name} canEdit={can('admin')} />
          </>
        )}
      </QueryView>
    </>
  );
}
