/** Small display pieces: times, states as badges, progress bars. */

/** An ISO time shown in the viewer's locale, with the exact value in the element. */
export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">—</span>;
  const d = new Date(at);
  return <time dateTime={at}>{d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}</time>;
}

const TONE: Record<string, string> = {
  // rollouts, rings and hosts
  active: 'info', installing: 'info', soaking: 'info', scheduled: 'muted', waiting: 'muted', pending: 'muted',
  paused: 'warn', halted: 'bad', cancelled: 'muted', completed: 'good', passed: 'good', succeeded: 'good',
  failed: 'bad', 'rolling-back': 'warn', 'rolled-back': 'warn', 'rollback-failed': 'bad', blocked: 'bad', skipped: 'muted',
  live: 'good', expired: 'muted', revoked: 'bad',
  online: 'good', offline: 'muted', overdue: 'bad', expedited: 'warn', disabled: 'bad', locked: 'warn',
  // priority tiers and decisions
  critical: 'bad', high: 'warn', medium: 'info', low: 'muted',
  'deploy-now': 'good', stage: 'info', hold: 'warn', block: 'bad',
  // health gates: incidents and blocks
  open: 'bad', resolved: 'good', lifted: 'muted',
};

/** A state word in a coloured pill; the word itself carries the meaning (colour is only a hint). */
export function Badge({ value }: { value: string | null }) {
  // A missing value (a patch with no priority tier yet) shows as "none".
  const shown = value ?? 'none';
  return <span className={`badge tone-${TONE[shown] ?? 'muted'}`}>{shown}</span>;
}

/** `done` of `total` as a bar with its numbers in text, read out as a progressbar. */
export function Progress({ done, total, label }: { done: number; total: number; label: string }) {
  const pct = total > 0 ? Math.round((done / total) * 100) : 0;
  return (
    <div className="progress-row">
      <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} aria-valuetext={`${done} of ${total}`}>
        <div className="progress-fill" style={{ width: `${pct}%` }} />
      </div>
      <span className="progress-text">
        {done} of {total}
      </span>
    </div>
  );
}
