import pino, { type Logger } from 'pino';

/**
 * pino JSON logs with stable field names (agentId, sessionId, requestId,
 * code). Anything that could carry a secret is redacted by path, so a
 * careless `log.info({ body })` cannot leak a token, and errors go through
 * `safeError`, so a failed query never logs its parameters.
 */
export function createLogger(opts: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  const options: pino.LoggerOptions = {
    name: opts.name ?? 'patchfleet-controller',
    level: opts.level ?? process.env.PATCHFLEET_LOG_LEVEL ?? 'info',
    serializers: { err: safeError, error: safeError },
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        'token',
        'adminToken',
        '*.token',
        '*.adminToken',
        'body.token',
        'secretKey',
        '*.secretKey',
        'oidcClientSecret',
        '*.oidcClientSecret',
        'clientSecret',
        '*.clientSecret',
        'secret',
        '*.secret',
        'signature',
        'params',
        'parameters',
        '*.params',
        '*.parameters',
      ],
      censor: '[redacted]',
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

const MAX_DEPTH = 5;
const MAX_QUERY_CHARS = 500;

/** drizzle's DrizzleQueryError: "Failed query: <sql>\nparams: <values>", with `query` and `params` properties. */
function queryTextOf(e: object): string | undefined {
  return 'params' in e && 'query' in e && typeof e.query === 'string' ? e.query : undefined;
}

/** Cuts a "\nparams: ..." tail (drizzle's wording) from any text about a failed query. */
function withoutParams(text: string): string {
  const at = text.indexOf('\nparams:');
  return at < 0 ? text : text.slice(0, at);
}

/**
 * Serializes an error for the log: type, message, code, SQLSTATE, stack and
 * causes, and nothing else. Dropped on purpose: query parameters (drizzle's
 * `params`, postgres.js's `parameters`/`args`) and PostgreSQL's `detail`
 * (a unique violation quotes the stored key, e.g. a token hash).
 */
export function safeError(err: unknown, depth = 0): unknown {
  if (typeof err === 'string') return withoutParams(err);
  if (typeof err !== 'object' || err === null) return err;
  const e = err as Error & { code?: unknown; severity?: unknown; routine?: unknown; status?: unknown };
  const out: Record<string, unknown> = { type: e.constructor?.name ?? 'Object' };
  let message = typeof e.message === 'string' ? e.message : String(e.message);
  const query = queryTextOf(e);
  if (query !== undefined) message = `Failed query: ${query.slice(0, MAX_QUERY_CHARS)}`;
  // PostgreSQL quotes the refused value in data errors (class 22: "invalid input syntax for type integer: \"...\""): keep the words, not the value.
  if (typeof e.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code)) message = message.replace(/"[^"]*"/g, '"[value]"');
  out.message = withoutParams(message);
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  if (typeof e.status === 'number') out.status = e.status;
  if (typeof e.severity === 'string') out.severity = e.severity;
  if (typeof e.routine === 'string') out.routine = e.routine;
  if (typeof e.stack === 'string') {
    // The stack's first line repeats the message (with drizzle's parameters): keep only the frames.
    out.stack = e.stack
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .join('\n');
  }
  if (e.cause !== undefined && depth < MAX_DEPTH) out.cause = safeError(e.cause, depth + 1);
  return out;
}

export type { Logger };
