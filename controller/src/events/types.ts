/**
 * The events the controller tells the outside world about (signed webhooks,
 * webhooks/). Wire types: receivers parse these, so fields are only ever
 * added, never renamed. Every body is `{ id, type, createdAt, data }`.
 */

/** Event types a webhook can subscribe to. */
export const EVENT_TYPES = ['rollout.halted', 'patch.blocked', 'approval.needed', 'deadline.missed'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** A rollout stopped by its promotion gate: a ring's install failures passed its limit (rollout state `halted`). */
export interface RolloutHaltedData {
  rolloutId: string;
  rolloutName: string;
  ring: string;
  /** Why, in words (the rollout's state reason). */
  reason: string;
  failed: number;
  finished: number;
}

/** A tripped health gate blocked a patch for one host class, or for every class (`fleetWide`). */
export interface PatchBlockedData {
  blockId: string;
  patchId: string;
  /** JSON [osId, build, model, role]; null when fleet-wide. */
  hostClass: string | null;
  /** The class in words, or "every host class". */
  scope: string;
  fleetWide: boolean;
  incidentId: string;
  rolloutId: string;
  reason: string;
}

/** A rollout ring is ready to install and waits for approvals (sent once per ring and approval count). */
export interface ApprovalNeededData {
  rolloutId: string;
  rolloutName: string;
  ring: string;
  approvals: number;
  needed: number;
}

/**
 * Hosts still without a patch after its deadline, each host once per
 * rollout (source `rollout`: pending in a rollout ring past the ring's
 * deadline) or once per advisory (source `sla`: still missing it past its
 * priority deadline, the tier's SLA or a CISA KEV due date).
 */
export interface DeadlineMissedData {
  source: 'rollout' | 'sla';
  /** ISO 8601: the ring's deadline (rollout clock), or the earliest due date of these hosts (sla). */
  deadline: string;
  hostIds: string[];
  /** Advisories (USN, KB) and `pkg:name=version` of the rollout; the one advisory (sla). */
  patchIds: string[];
  /** The rollout and ring (source rollout), else null. */
  rolloutId: string | null;
  rolloutName: string | null;
  ring: string | null;
  /** The advisory's priority tier (source sla), else null. */
  tier: string | null;
}

/** One event, as the emitting code hands it to the port. */
export type PatchfleetEvent =
  | { type: 'rollout.halted'; data: RolloutHaltedData }
  | { type: 'patch.blocked'; data: PatchBlockedData }
  | { type: 'approval.needed'; data: ApprovalNeededData }
  | { type: 'deadline.missed'; data: DeadlineMissedData };

/** The JSON body of a webhook POST. */
export interface EventBody {
  /** `evt_...`, also in the X-Patchfleet-Event-Id header: the same id twice is the same event (retries). */
  id: string;
  type: EventType;
  /** ISO 8601, wall clock. */
  createdAt: string;
  data: PatchfleetEvent['data'];
}
