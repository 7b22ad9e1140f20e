/**
 * What the benches that start a real controller process share: the edge
 * limits they lift and the part of `bootstrap.json` they read.
 */

/** The part of the controller's `bootstrap.json` a bench reads. */
export interface Bootstrap {
  url: string;
  adminToken: string;
  caFingerprint: string;
  commandKey: string;
}

/**
 * The controller's per-source-address edge limits (32 unauthenticated connections, 60 enrollments and
 * 3,000 requests a minute per address) assume one address per host; here thousands of agents share
 * one to a few loopback addresses, so the bench lifts those per-address limits (only those: the total
 * caps, maxUnauthConnections and maxAgents, keep their defaults and shape the storm as in production).
 */
export const BENCH_EDGE_LIMITS: NodeJS.ProcessEnv = {
  PATCHFLEET_MAX_CONNECTIONS_PER_ADDRESS: '100000',
  PATCHFLEET_ENROLL_RATE_PER_MIN: '1000000',
  PATCHFLEET_API_RATE_PER_MIN: '1000000',
};
