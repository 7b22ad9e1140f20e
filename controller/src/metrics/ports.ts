/**
 * What the gateway and the gates tell the metrics, as small typed ports.
 * `server.ts` builds one ControllerMetrics (a Prometheus registry of its
 * own) and hands it to them; code built without it (unit tests, tools)
 * gets {@link noMetrics}. Nothing reaches for a global registry.
 */

/** How one agent connection's handshake ended. */
export type HandshakeOutcome =
  /** welcome sent: the agent is authenticated. */
  | 'accepted'
  /** refused with an error frame; the code says why (PF_ERR_AUTH_FAILED, PF_ERR_UNKNOWN_AGENT, ...). */
  | 'refused'
  /** the socket closed before the handshake finished, without a refusal. */
  | 'abandoned';

/** What an agent's link reports: handshakes and frames, one call per event. */
export interface AgentLinkMetrics {
  /** A connection's handshake ended (exactly once per connection); `code` is the refusal's PF_ERR code. */
  handshake(outcome: HandshakeOutcome, code?: string): void;
  /** A frame arrived from an agent: its protocol type, or `undecodable` / `rate-limited` when it was not read. */
  frameReceived(type: string): void;
  /** A frame was written to an agent's socket. */
  frameSent(type: string): void;
}

/** What the health gates report: one call per signal judged. */
export interface GateMetrics {
  /** One signal of a cohort was judged (`kind`: app-crash, install-failure, absolute-limit, ...). */
  gateEvaluated(kind: string, outcome: 'passed' | 'tripped'): void;
}

/** A port that counts nothing: for code built without a metrics registry. */
export const noMetrics: AgentLinkMetrics & GateMetrics = {
  handshake: () => undefined,
  frameReceived: () => undefined,
  frameSent: () => undefined,
  gateEvaluated: () => undefined,
};
