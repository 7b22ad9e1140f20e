/**
 * What the controller's JSON API answers, as far as the dashboard reads it
 * (controller/src/api/routes/*.ts has the full schemas; /api/v1/openapi.json
 * documents them).
 */

export type Role = 'admin' | 'operator' | 'helpdesk';

/** The signed-in person (`/api/v1/auth/sign-in` and `/api/v1/auth/me`). */
export interface SessionUser {
  id: string;
  name: string;
  role: Role;
}

export interface SessionBody {
  user: SessionUser;
  /** session: signed in with a password (the cookie); token: an API token sent by something else. */
  via?: 'session' | 'token';
  /** A session's CSRF token, sent as x-csrf-token on every write. */
  csrfToken?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface HostSummary {
  id: string;
  hostname: string;
  os: { platform: string; id: string; name: string; version: string; kernel: string; arch: string };
  hardware: { vendor: string; model: string; serial: string };
  addresses: string[];
  labels: Record<string, string>;
  status: string;
  packageCount: number;
  enrolledAt: string;
  lastSeenAt: string | null;
  lastReportAt: string | null;
  online: boolean;
}

export interface HostDetail extends HostSummary {
  fqdn: string | null;
  /** The agent's last full report of the host (shared/src/protocol's HostFacts), as far as the page reads it. */
  facts: { users?: { user: string; host?: string }[]; pendingReboot?: { required: boolean; reasons: string[] } } | null;
}

/** A reliability decision as the patch lists annotate it. */
export interface DecisionSummary {
  decision: 'deploy-now' | 'stage' | 'hold' | 'block';
  score: number | null;
  confidence: number;
  cautious: boolean;
  reasons: string[];
}

export interface MissingPatch {
  id: string;
  kind: string;
  title: string;
  cves: string[];
  packages?: { name: string; installed?: string; fixed?: string }[];
  priority: { score: number; tier: string; dueBy: string | null; reasons: string[] };
  state: 'missing' | 'mitigated, not patched';
  overdue: boolean;
  decision: DecisionSummary | null;
}

export interface HostPatches {
  hostId: string;
  hostname: string;
  assessedAt: string | null;
  coverage: unknown;
  missing: MissingPatch[];
  installed: string[];
  summary: { missing: number; installed: number; overdue: number; mitigated: number; byTier: Record<string, number> };
}

export interface HostHealth {
  from: string;
  to: string;
  totals: { samples: number; coveredSec: number; appCrashes: number; kernelCrashes: number; serviceFailures: number; unexpectedShutdowns: number; probeFailures: number; probeRuns: number };
  events: { kind: string; at: string; subject: string; message?: string }[];
  unavailable: string[];
}

export interface PatchListItem {
  id: string;
  kind: string;
  title: string;
  released: string | null;
  cveCount: number;
  affectedHosts: number;
  installedHosts: number;
  maxScore: number | null;
  earliestDue: string | null;
  decision: DecisionSummary | null;
}

export interface PatchDetail {
  id: string;
  kind: string;
  title: string;
  /** USN: when it was published; KB: its release month. */
  published?: string | null;
  month?: string | null;
  cves?: string[];
  decision: DecisionSummary | null;
  affectedHosts: number;
  installedHosts: number;
  hosts: { hostId: string; hostname: string; score: number; tier: string; dueBy: string | null; state: string }[];
}

export interface Reliability {
  patchId: string;
  score: number | null;
  confidence: number;
  pHarm: number | null;
  decision: DecisionSummary['decision'];
  cautious: boolean;
  tier: string | null;
  reasons: string[];
  classes: { hostClass: string; label: string; score: number; confidence: number; reasons: string[] }[];
}

export type RolloutState = 'active' | 'paused' | 'halted' | 'cancelled' | 'completed' | 'rolling-back' | 'rolled-back';

export interface RolloutSummary {
  id: string;
  name: string;
  /** What it installs: catalog patches, or exact package versions. */
  content: { patches: string[]; packages: { name: string; version: string }[] };
  state: RolloutState;
  stateReason: string | null;
  expedite: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /** Host counts by rollout-host state (pending, installing, succeeded, failed, ...). */
  hosts: Record<string, number>;
}

export interface RolloutRing {
  ring: string;
  ringId: string;
  position: number;
  state: string;
  note: string | null;
  eligibleAt: string;
  deadlineAt: string;
  soakUntil: string | null;
  wave: number;
  approvals: { needed: number; by: string[] };
  hosts: Record<string, number>;
  deadlineMissed: number;
  gate: { state: string; trippedClasses: string[] };
}

export interface Rollout extends RolloutSummary {
  rings: RolloutRing[];
  incidents: { id: string; gate: string; hostClass: string | null; scope: string; state: string; summary: string; openedAt: string }[];
}

export interface MaintenanceWindow {
  cron: string;
  timeZone: string;
  durationMin: number;
}

export interface Ring {
  id: string;
  name: string;
  position: number;
  percent: number | null;
  deferralDays: number;
  deadlineDays: number;
  graceDays: number;
  windows: MaintenanceWindow[];
  waveSize: number;
  maxConcurrent: number;
  soakHours: number;
  approvalRequired: boolean;
  updatedAt: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  details: unknown;
  requestId: string | null;
}

/** A user account (`/api/v1/users`, admins). */
export interface UserAccount {
  id: string;
  name: string;
  role: Role;
  disabled: boolean;
  signIn: ('password' | 'oidc')[];
  lockedUntil: string | null;
  createdAt: string;
  createdBy: string | null;
}

/** One host of a rollout (`/api/v1/rollouts/:id/hosts`). */
export interface RolloutHost {
  hostId: string;
  ring: string;
  state: string;
  wave: number | null;
  attempts: number;
  errorCode: string | null;
  installedAt: string | null;
  rebootRequired: boolean;
  bootState: string;
  deadlineMissedAt: string | null;
}
