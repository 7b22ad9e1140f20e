/**
 * The error type shared by agent and controller: a stable code from the
 * catalogue (`./catalogue.ts`), an HTTP status and whether retrying can help.
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

