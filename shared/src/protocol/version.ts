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
 */
export const PROTOCOL_VERSION = 2;

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
  /** Seconds an unauthenticated socket may stay open. */
  handshakeTimeoutSec: 10,
} as const;

/** HTTP path of the agent WebSocket endpoint on the controller. */
export const AGENT_WS_PATH = '/api/v1/agent/ws';
