/**
 * Error registry shared by agent and controller.
 *
 * Every error that crosses a boundary (a wire frame, an HTTP response, a CLI
 * exit) carries a stable `PF_ERR_*` code, an HTTP status and whether retrying
 * can help. Codes are never renamed; new ones are added.
 */
export interface ErrorDef {
  readonly code: `PF_ERR_${string}`;
  readonly status: number;
  readonly retryable: boolean;
  readonly message: string;
}

/** Builds a frozen registry; the helper only exists to keep literal types. */
export function defineErrors<T extends Record<string, ErrorDef>>(defs: T): Readonly<T> {
  return Object.freeze(defs);
}

/** An error with a stable code. `message` is safe to log and to show: never put secrets in it. */
export class PfError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(def: ErrorDef, message?: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? def.message, options);
    this.name = 'PfError';
    this.code = def.code;
    this.status = def.status;
    this.retryable = def.retryable;
    this.details = details;
  }
}

export function isPfError(err: unknown): err is PfError {
  return err instanceof PfError;
}

/** Errors of the agent-controller protocol, sent in `error` frames. */
export const ProtocolErrors = defineErrors({
  BAD_FRAME: { code: 'PF_ERR_BAD_FRAME', status: 400, retryable: false, message: 'frame is not a valid protocol message' },
  FRAME_TOO_LARGE: { code: 'PF_ERR_FRAME_TOO_LARGE', status: 413, retryable: false, message: 'frame exceeds the size limit' },
  UNSUPPORTED_VERSION: { code: 'PF_ERR_UNSUPPORTED_VERSION', status: 400, retryable: false, message: 'protocol version not supported' },
  NOT_AUTHENTICATED: { code: 'PF_ERR_NOT_AUTHENTICATED', status: 401, retryable: false, message: 'frame sent before authentication' },
  AUTH_FAILED: { code: 'PF_ERR_AUTH_FAILED', status: 401, retryable: false, message: 'challenge signature refused' },
  UNKNOWN_AGENT: { code: 'PF_ERR_UNKNOWN_AGENT', status: 401, retryable: false, message: 'agent is not enrolled' },
  AGENT_REVOKED: { code: 'PF_ERR_AGENT_REVOKED', status: 403, retryable: false, message: 'agent has been revoked' },
  HANDSHAKE_TIMEOUT: { code: 'PF_ERR_HANDSHAKE_TIMEOUT', status: 408, retryable: true, message: 'handshake not completed in time' },
  UNEXPECTED_FRAME: { code: 'PF_ERR_UNEXPECTED_FRAME', status: 400, retryable: false, message: 'frame type not expected in this state' },
  RATE_LIMITED: { code: 'PF_ERR_RATE_LIMITED', status: 429, retryable: true, message: 'too many frames' },
  RESYNC_REQUIRED: { code: 'PF_ERR_RESYNC_REQUIRED', status: 409, retryable: true, message: 'delta does not apply to the stored state; send a full report' },
  INCOMPLETE_REPORT: { code: 'PF_ERR_INCOMPLETE_REPORT', status: 400, retryable: true, message: 'report parts are inconsistent' },
  INTERNAL: { code: 'PF_ERR_INTERNAL', status: 500, retryable: true, message: 'internal error' },
  SHUTTING_DOWN: { code: 'PF_ERR_SHUTTING_DOWN', status: 503, retryable: true, message: 'controller is shutting down' },
  UNKNOWN_COMMAND: { code: 'PF_ERR_UNKNOWN_COMMAND', status: 404, retryable: false, message: 'no such command for this agent' },
});
