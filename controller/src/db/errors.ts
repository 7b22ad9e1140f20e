/**
 * What a failed query means for the caller, whichever driver raised it:
 * the database is unreachable (retry later: 503), or the database refused
 * the input's value (the client's fault: 400). Anything else is a bug (500).
 *
 * drizzle wraps driver errors in DrizzleQueryError, whose message carries the
 * query's parameters (token hashes, hostnames): callers turn it into a
 * PfError whose message is ours, never the wrapped one.
 */
import { PfError, Errors } from '@patchfleet/shared/errors';

export type DbErrorKind = 'unavailable' | 'invalid-input';

/** SQLSTATEs for a value the database cannot take: bad encoding, NUL, out of range, bad text for a type, bad date. */
const INVALID_INPUT_STATES: ReadonlyMap<string, string> = new Map([
  ['22P05', 'a text value holds a character the database cannot store (such as NUL)'],
  ['22021', 'a text value is not valid in the database encoding'],
  ['22003', 'a number is out of range'],
  ['22P02', 'a value is not valid for its type'],
  ['22007', 'a date or time is not valid'],
  ['22008', 'a date or time is out of range'],
]);

/** SQLSTATE classes and codes that mean the server went away or is not accepting work. */
function isUnavailableState(code: string): boolean {
  return (
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin_shutdown
    code === '57P02' || // crash_shutdown
    code === '57P03' || // cannot_connect_now (starting up, shutting down)
    code === '53300' // too_many_connections
  );
}

/** postgres.js connection errors and Node socket errors seen while the server is down. */
const UNAVAILABLE_CLIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

const MAX_CAUSE_DEPTH = 8;

/** The error and its causes, outermost first (bounded: a cause cycle cannot loop). */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  let cur = err;
  for (let i = 0; i < MAX_CAUSE_DEPTH && cur !== undefined && cur !== null; i++) {
    out.push(cur);
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
}

/** True when a thrown error (or one of its causes, however the driver wrapped it) carries this SQLSTATE. */
export function hasSqlState(err: unknown, sqlState: string): boolean {
  return chain(err).some((e) => typeof e === 'object' && e !== null && (e as { code?: unknown }).code === sqlState);
}

/** Classifies a thrown error from drizzle, postgres.js or PGlite; undefined when it is none of ours to map. */
export function classifyDbError(err: unknown): { kind: DbErrorKind; sqlState?: string; reason: string } | undefined {
  for (const e of chain(err)) {
    if (typeof e !== 'object' || e === null) continue;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      const invalid = INVALID_INPUT_STATES.get(code);
      if (invalid) return { kind: 'invalid-input', sqlState: code, reason: invalid };
      if (isUnavailableState(code)) return { kind: 'unavailable', sqlState: code, reason: `the database connection failed (${code})` };
      if (UNAVAILABLE_CLIENT_CODES.has(code)) return { kind: 'unavailable', reason: `the database connection failed (${code})` };
    }
    // PGlite after close() (or a crashed WASM instance) throws plain Errors.
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && /^PGlite is closed|^PGlite instance (?:is )?closed/.test(message)) return { kind: 'unavailable', reason: 'the embedded database is closed' };
  }
  return undefined;
}

/**
 * The PfError to answer for a database failure, or undefined when `err` is
 * not one. The message names the kind of problem only: never the query, its
 * parameters or the server's detail line (which can quote a stored value).
 */
export function dbErrorToPfError(err: unknown): PfError | undefined {
  const c = classifyDbError(err);
  if (!c) return undefined;
  if (c.kind === 'unavailable') return new PfError(Errors.DATABASE_UNAVAILABLE, 'the database is unavailable; retry later', { reason: c.reason });
  return new PfError(Errors.VALIDATION, `request refused by the database: ${c.reason}`, { sqlState: c.sqlState });
}
