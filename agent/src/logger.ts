import pino, { type Logger } from 'pino';

/** Agent logs: pino JSON on stderr (stdout is for command output such as `collect --json`). */
export function createAgentLogger(level = process.env.PATCHFLEET_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'patchfleet-agent', level, redact: { paths: ['token', 'secretKey', '*.secretKey', 'signature'], censor: '[redacted]' } }, pino.destination(2));
}
