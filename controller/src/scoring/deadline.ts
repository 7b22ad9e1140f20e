/**
 * The remediation deadline of a scored advisory: the tier's SLA counted from
 * the advisory's release (or from now when the release date is unknown), or
 * a CISA KEV due date when that is sooner. KEV due dates are binding for US
 * federal agencies (BOD 22-01) and the reference everyone else is audited
 * against, so a tier's SLA must never let a KEV deadline slip.
 */
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { CveInfo } from '../catalog/model';
import type { SlaConfig, Tier } from './sla';

const DAY_MS = 86_400_000;

/** A deadline and the sentence that explains it. */
export interface Deadline {
  /** ISO 8601 instant. */
  dueBy: string;
  dueMs: number;
  reason: string;
  /** The KEV due date decided it. */
  kevWins: boolean;
}

/**
 * Deadline for `tier`. `releasedAt` is an ISO date or timestamp; `now` is
 * the injected clock's time. A KEV due date (`YYYY-MM-DD`) means the end of
 * that day in UTC. Throws PF_ERR_VALIDATION on an unreadable `releasedAt`:
 * it comes from the catalog, and a guess would move every deadline.
 */
export function priorityDeadline(tier: Tier, cves: readonly CveInfo[], releasedAt: string | null | undefined, now: number, sla: SlaConfig): Deadline {
  const days = sla[tier];
  let startMs = now;
  let from = `first seen ${isoDay(now)} (release date unknown)`;
  if (releasedAt !== null && releasedAt !== undefined) {
    startMs = Date.parse(releasedAt);
    if (Number.isNaN(startMs)) throw new PfError(Errors.VALIDATION, `release date ${JSON.stringify(releasedAt.slice(0, 40))} is not an ISO date`);
    from = `release on ${isoDay(startMs)}`;
  }
  const slaMs = startMs + days * DAY_MS;
  const slaText = `${tier} tier SLA: ${formatDays(days)} after ${from}`;

  const kev = earliestKevDue(cves);
  if (kev !== null && kev.dueMs < slaMs) {
    return {
      dueBy: new Date(kev.dueMs).toISOString(),
      dueMs: kev.dueMs,
      kevWins: true,
      reason: `due ${kev.dueDate}: the CISA KEV due date of ${kev.cveId} is sooner than the ${slaText} (${isoDay(slaMs)})`,
    };
  }
  return { dueBy: new Date(slaMs).toISOString(), dueMs: slaMs, kevWins: false, reason: `due ${isoDay(slaMs)}: ${slaText}` };
}

function earliestKevDue(cves: readonly CveInfo[]): { cveId: string; dueDate: string; dueMs: number } | null {
  let best: { cveId: string; dueDate: string; dueMs: number } | null = null;
  for (const cve of cves) {
    if (cve.kev === null) continue;
    const dueMs = endOfUtcDay(cve.kev.dueDate);
    // An unreadable due date is skipped rather than fatal: the SLA deadline still stands.
    if (dueMs === null) continue;
    if (best === null || dueMs < best.dueMs) best = { cveId: cve.id, dueDate: cve.kev.dueDate, dueMs };
  }
  return best;
}

function endOfUtcDay(date: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59);
  return Number.isNaN(ms) ? null : ms;
}

/** `YYYY-MM-DD` of an instant, in UTC. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function formatDays(days: number): string {
  if (days === 1) return '1 day';
  if (Number.isInteger(days)) return `${days} days`;
  return `${Math.round(days * 24)} hours`;
}
