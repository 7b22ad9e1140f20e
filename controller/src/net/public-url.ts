/**
 * The controller's URL as agents and browsers reach it: `publicUrl` when
 * set, else derived from the listening host and port.
 */
import { hostname } from 'node:os';
import type { Config } from '../config';

/** `publicUrl` without a trailing slash, or `<scheme>://<host>:<port>` (the machine's name for a wildcard host). */
export function publicUrlOf(config: Config, port: number): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/$/, '');
  const scheme = config.insecure ? 'http' : 'https';
  const host = config.host === '0.0.0.0' || config.host === '::' ? hostname() : config.host;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
