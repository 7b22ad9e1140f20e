import pino, { type Logger } from 'pino';

/**
 * pino JSON logs with stable field names (agentId, sessionId, requestId,
 * code). Anything that could carry a secret is redacted by path, so a
 * careless `log.info({ body })` cannot leak a token.
 */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: opts.name ?? 'patchfleet-controller',
    level: opts.level ?? process.env.PATCHFLEET_LOG_LEVEL ?? 'info',
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
        'signature',
      ],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
