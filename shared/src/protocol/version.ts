/**
 * Version of the agent-controller protocol. An integer, bumped when a message
 * gains meaning that an older peer would misread. Wire fields are never
 * renamed or removed; new optional fields and new capabilities do not bump it.
 *
 * Changelog:
 * - 1 (2026-11-23): hello, challenge, auth, welcome, inventory (full and
 *   delta, chunked), heartbeat, ack, error.
 * - 2 (2026-11-23): signed commands: `command` (controller -> agent),
 *   `commandStatus` (agent -> controller), `commandReceipt`; capability
 *   `commands/1`. Version-1 frames are unchanged and still accepted.
 * - 3 (2026-12-05): outbox epochs (capability `inventory.epoch/1`). An
 *   agent's outbox numbering has a random `epoch`; `inventory` frames carry it
 *   and `welcome` names the epoch of the report the controller holds. A full
 *   report from another epoch is applied whatever its `seq` (a state directory
 *   started afresh next to a copied identity restarts at 1), and the agent
 *   takes `lastAckedSeq` as an acknowledgement only when the epochs match.
 *   Both fields are sent only when both sides list the capability; version-1
 *   and -2 frames are unchanged and still accepted (their full reports are
 *   still applied when their content differs from what is stored).
 *   Times (`ts`, `collectedAt`, `at`, `bootTime`) are bounded to year 9999
 *   and sequence numbers to 2^53-1; strings must not hold NUL or unpaired
 *   surrogates (PF_ERR_UNSTORABLE_VALUE).
 * - 4 (2026-12-06): health (capability `health/1`, health.ts): `health`
 *   (agent -> controller, samples from a durable health outbox with its own
 *   epoch and sequence numbers), `healthAck`, and `healthConfig` (controller
 *   -> agent: sample interval and probes, signed with the command key over
 *   `healthConfigSigningPayload`, with `issuedAt`; the agent refuses an
 *   unsigned, foreign or older config). Sent only when both sides list the
 *   capability; older frames are unchanged and still accepted.
 */
export const PROTOCOL_VERSION = 4;
// Optional fields added without a bump: `error.retryAfterSec` (2026-12-07), sent with PF_ERR_CONTROLLER_FULL
// when a controller holds as many agents as it can; an agent that does not know it falls back on its back-off.

/** Oldest protocol version this build still speaks. */
export const MIN_PROTOCOL_VERSION = 1;

/**
 * Capabilities are exchanged in `hello` and `challenge`; a feature is used
 * only when both sides list it.
 */
export const Capabilities = {
  /** Inventory reports may be deltas against the last acknowledged report. */
  InventoryDelta: 'inventory.delta/1',
  /** Inventory reports may be split over several frames. */
  InventoryChunked: 'inventory.chunked/1',
  /** The agent verifies and runs signed commands and reports their status. */
  Commands: 'commands/1',
  /** Inventory frames and `welcome` carry the outbox epoch (protocol 3). */
  InventoryEpoch: 'inventory.epoch/1',
  /** Health samples, probes and `healthConfig` (protocol 4). */
  Health: 'health/1',
} as const;
export type Capability = (typeof Capabilities)[keyof typeof Capabilities];

/** Default and hard limits on the wire. */
export const Limits = {
  /** Largest frame either side accepts, in bytes (UTF-8). */
  maxFrameBytes: 1024 * 1024,
  /** Packages per inventory frame; keeps frames well under maxFrameBytes. */
  packagesPerChunk: 1000,
  /** Largest number of parts a report may be split into. */
  maxParts: 500,
  /** Latest time a frame may carry, ms since epoch (9999-12-31T23:59:59.999Z): later ones do not fit a database timestamp. */
  maxTimeMs: 253_402_300_799_999,
  /** Seconds an unauthenticated socket may stay open. */
  handshakeTimeoutSec: 10,
} as const;

/** HTTP path of the agent WebSocket endpoint on the controller. */
export const AGENT_WS_PATH = '/api/v1/agent/ws';
