/**
 * Everything a help-desk host page shows, in one call: the host, its ring,
 * its patch state grouped (missing with priority, deadline and reasons;
 * mitigated; installed; in progress; failed; rolled back; pending reboot;
 * blocked), its recent commands and a timeline of changes. Read-only; each
 * part comes from its owner's read side or from one bounded statement.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/index';
import { ringAssignments, rings } from '../db/schema/index';
import { hostCoverage, type PatchCoverage } from '../assess/coverage';
import { hostPatchRows } from '../assess/patch-views';
import { hostCommands, type CommandRow } from '../commands/command-store';
import { decisionSummaries, hostMitigations, isOverdue, type DecisionSummary, type HostMitigation } from '../reliability/patch-annotations';
import { getHost, type HostDetail } from './queries';
import { hostRollouts, type HostRolloutEntry } from './rollout-history';
import { auditEvents, commandEvents, mergeTimeline, rolloutEvents, type TimelineEvent } from './timeline';

/** Commands shown on a host page, newest first; the timeline reads the same ones. */
export const RECENT_COMMANDS = 20;

/** A missing patch on the host page. */
export interface MissingPatch {
  id: string;
  kind: string;
  title: string;
  cveCount: number;
  requires: string | null;
  priority: { score: number | null; tier: string | null; dueBy: string | null; reasons: string[] };
  /** The deadline has passed (or the mitigation standing in for it expired). */
  overdue: boolean;
  mitigation: HostMitigation | null;
  /** The patch's reliability score and decision (the same for every host), so the page needs no call per patch. */
  decision: DecisionSummary | null;
}

export interface HostOverview {
  host: Omit<HostDetail, 'facts' | 'sessions' | 'lastSeq'> & { sessions: HostDetail['sessions'] };
  ring: { id: string; name: string; reason: string; assignedAt: string } | null;
  patches: {
    assessedAt: string | null;
    coverage: PatchCoverage | null;
    /** Missing and not mitigated, highest score first. */
    missing: MissingPatch[];
    /** Missing, with an accepted mitigation standing in until the patch is installed. */
    mitigated: MissingPatch[];
    installed: string[];
    inProgress: HostRolloutEntry[];
    failed: HostRolloutEntry[];
    rolledBack: HostRolloutEntry[];
    blocked: HostRolloutEntry[];
    /** The agent's own report (last inventory) and the rollout installs waiting for a reboot. */
    pendingReboot: { reported: { required: boolean; reasons: string[] } | null; rollouts: HostRolloutEntry[] };
  };
  /** Counts of the groups; `pendingReboot` counts rollout installs, `rebootReported` is the agent's own word. */
  summary: Record<'missing' | 'overdue' | 'mitigated' | 'installed' | 'inProgress' | 'failed' | 'rolledBack' | 'blocked' | 'pendingReboot', number> & { rebootReported: boolean; byTier: Record<'critical' | 'high' | 'medium' | 'low', number> };
  commands: ReturnType<typeof commandSummary>[];
  timeline: TimelineEvent[];
}

/** What a host page shows of a command. */
export function commandSummary(c: CommandRow) {
  return {
    id: c.id,
    action: c.action,
    target: c.target,
    state: c.state,
    issuedAt: c.issuedAt.toISOString(),
    finishedAt: c.finishedAt?.toISOString() ?? null,
    rolloutId: c.rolloutId,
    errorCode: c.errorCode,
    errorMessage: c.errorMessage,
    createdBy: c.createdBy,
  };
}

/** The host page of `id`, or undefined when no such host. */
export async function hostOverview(db: Db, id: string, opts: { now: Date; staleMs: number }): Promise<HostOverview | undefined> {
  const host = await getHost(db, id, opts.now, opts.staleMs);
  if (!host) return undefined;
  const [ringRows, patchRows, rollouts, commands, coverage] = await Promise.all([
    db.select({ id: rings.id, name: rings.name, reason: ringAssignments.reason, assignedAt: ringAssignments.assignedAt }).from(ringAssignments).innerJoin(rings, eq(rings.id, ringAssignments.ringId)).where(eq(ringAssignments.hostId, id)).limit(1),
    hostPatchRows(db, id, 'all'),
    hostRollouts(db, id),
    hostCommands(db, id, RECENT_COMMANDS),
    hostCoverage(db, id),
  ]);
  const missingRows = patchRows.filter((r) => r.status === 'missing');
  const missingIds = missingRows.map((r) => r.patchId);
  const [mitigations, decisions, audits] = await Promise.all([
    hostMitigations(db, id, missingIds, opts.now),
    decisionSummaries(db, missingIds, opts.now),
    auditEvents(db, id, commands.map((c) => c.id), [...new Set(rollouts.all.map((r) => r.rolloutId))]),
  ]);
  const now = opts.now.getTime();
  const missingAll: MissingPatch[] = missingRows.map((r) => {
    const mitigation = mitigations.get(r.patchId) ?? null;
    return {
      id: r.patchId,
      kind: r.kind,
      title: r.title,
      cveCount: r.cves.length,
      requires: r.requires,
      priority: { score: r.score, tier: r.tier, dueBy: r.dueBy?.toISOString() ?? null, reasons: r.reasons },
      overdue: isOverdue(r.dueBy, mitigation, now),
      mitigation,
      decision: decisions.get(r.patchId) ?? null,
    };
  });
  const tierCount = (tier: string): number => missingAll.filter((m) => m.priority.tier === tier).length;
  const missing = missingAll.filter((m) => m.mitigation?.state !== 'mitigated, not patched');
  const mitigated = missingAll.filter((m) => m.mitigation?.state === 'mitigated, not patched');
  const installed = patchRows.filter((r) => r.status === 'installed').map((r) => r.patchId);
  const assessedAt = patchRows.reduce<Date | null>((a, r) => (a && a > r.assessedAt ? a : r.assessedAt), null);
  const reported = (host.facts as { pendingReboot?: { required: boolean; reasons: string[] } } | null)?.pendingReboot ?? null;
  const { facts: _facts, lastSeq: _lastSeq, ...shown } = host;
  const ring = ringRows[0];
  return {
    host: shown,
    ring: ring ? { id: ring.id, name: ring.name, reason: ring.reason, assignedAt: ring.assignedAt.toISOString() } : null,
    patches: {
      assessedAt: assessedAt?.toISOString() ?? null,
      coverage: coverage ?? null,
      missing,
      mitigated,
      installed,
      inProgress: rollouts.inProgress,
      failed: rollouts.failed,
      rolledBack: rollouts.rolledBack,
      blocked: rollouts.blocked,
      pendingReboot: { reported: reported ? { required: Boolean(reported.required), reasons: reported.reasons ?? [] } : null, rollouts: rollouts.pendingReboot },
    },
    summary: {
      missing: missing.length,
      overdue: missingAll.filter((m) => m.overdue).length,
      mitigated: mitigated.length,
      installed: installed.length,
      inProgress: rollouts.inProgress.length,
      failed: rollouts.failed.length,
      rolledBack: rollouts.rolledBack.length,
      blocked: rollouts.blocked.length,
      pendingReboot: rollouts.pendingReboot.length,
      rebootReported: Boolean(reported?.required),
      byTier: { critical: tierCount('critical'), high: tierCount('high'), medium: tierCount('medium'), low: tierCount('low') },
    },
    commands: commands.map(commandSummary),
    timeline: mergeTimeline(rolloutEvents(rollouts.all), commandEvents(commands), audits),
  };
}
