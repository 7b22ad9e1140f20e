/** An admin's form for a ring's approval, reboot and timing policy (PATCH /rings/:id). */
import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { rings } from '../api/endpoints';
import type { RebootPolicy, Ring, RingChange } from '../api/types';

const REBOOTS: { value: RebootPolicy['policy']; label: string }[] = [
  { value: 'when-required', label: 'when the update requires it' },
  { value: 'always', label: 'always after installing' },
  { value: 'never', label: 'never (people reboot)' },
];

/** The fields of the form, as text while typed. */
function formOf(r: Ring) {
  return {
    approvalRequired: r.approvalRequired,
    reboot: r.reboot.policy,
    rebootDeadlineHours: String(r.reboot.deadlineHours),
    deferralDays: String(r.deferralDays),
    deadlineDays: String(r.deadlineDays),
    graceDays: String(r.graceDays),
    soakHours: String(r.soakHours),
  };
}

/** "Approval: 2 people" in words, from what the API says the policy implies. */
export function approvalText(r: Pick<Ring, 'approvalRequired' | 'approvals'>): string {
  if (!r.approvalRequired) return 'not required';
  const people = (n: number) => (n === 1 ? 'one admin' : `${n} different admins (two-person rule)`);
  return `${people(r.approvals.rollout)} before this ring installs; ${people(r.approvals.expedited)} for an expedited rollout`;
}

export function RingPolicyForm({ ring }: { ring: Ring }) {
  const queries = useQueryClient();
  const [f, setF] = useState(() => formOf(ring));
  const [saved, setSaved] = useState(false);
  // Reset to the stored policy only when it changes, not on every refetch of the ring (which would undo typing).
  const stored = JSON.stringify(formOf(ring));
  useEffect(() => setF(formOf(ring)), [stored]);
  const save = useMutation({
    mutationFn: (change: RingChange) => rings.update(ring.id, change),
    onSuccess: (next) => {
      queries.setQueryData(['ring', ring.id], next);
      void queries.invalidateQueries({ queryKey: ['rings'] });
      setSaved(true);
    },
  });
  const set = (patch: Partial<typeof f>) => {
    setSaved(false);
    setF({ ...f, ...patch });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({
      approvalRequired: f.approvalRequired,
      reboot: { policy: f.reboot, deadlineHours: Number(f.rebootDeadlineHours) },
      deferralDays: Number(f.deferralDays),
      deadlineDays: Number(f.deadlineDays),
      graceDays: Number(f.graceDays),
      soakHours: Number(f.soakHours),
    });
  };
  const num = (id: keyof typeof f, label: string, max: number) => (
    <div className="field">
      <label htmlFor={`policy-${id}`}>{label}</label>
      <input id={`policy-${id}`} type="number" required min={0} max={max} step={1} value={String(f[id])} onChange={(e) => set({ [id]: e.target.value })} />
    </div>
  );
  return (
    <form onSubmit={submit} className="panel" aria-labelledby="policy-h">
      <h2 id="policy-h">Approval, reboot and timing</h2>
      <div className="check">
        <input id="policy-approval" type="checkbox" checked={f.approvalRequired} onChange={(e) => set({ approvalRequired: e.target.checked })} />
        <label htmlFor="policy-approval">Require approval before this ring installs</label>
      </div>
      <p className="small muted">Approvals count people, not tokens: rings holding half the fleet or more, and expedited rollouts, need two different admins.</p>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="policy-reboot">Reboot</label>
          <select id="policy-reboot" value={f.reboot} onChange={(e) => set({ reboot: REBOOTS.find((r) => r.value === e.target.value)?.value ?? 'when-required' })}>
            {REBOOTS.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
        {num('rebootDeadlineHours', 'Reboot deadline (hours)', 720)}
        {num('deferralDays', 'Deferral (days after release)', 365)}
        {num('deadlineDays', 'Deadline (days)', 365)}
        {num('graceDays', 'Grace (days)', 365)}
        {num('soakHours', 'Soak before the next ring (hours)', 8760)}
      </div>
      <button type="submit" disabled={save.isPending}>
        Save policy
      </button>
      <div aria-live="polite">
        {saved ? <p className="note note-good">Saved. Approval: {approvalText(ring)}.</p> : null}
        {save.error ? (
          <p className="note note-error" role="alert">
            {save.error instanceof ApiError ? `Not saved: ${save.error.message} (${save.error.code})` : String(save.error)}
          </p>
        ) : null}
      </div>
    </form>
  );
}
