import type { ResponseOf } from '@patchfleet/shared/api';
import type { ApiClient } from '../client/api-client';

/** What GET /api/v1/hosts/resolve answers. */
export type ResolvedHost = ResponseOf<'/api/v1/hosts/resolve', 'get'>;

/**
 * The one host a person named on the command line (id, hostname, FQDN,
 * address, serial or unique id prefix), resolved by the controller
 * (GET /api/v1/hosts/resolve). Several matches fail with
 * PF_ERR_HOST_AMBIGUOUS naming them; none with PF_ERR_NOT_FOUND.
 */
export function resolveHostArg(client: ApiClient, text: string): Promise<ResolvedHost> {
  return client.api.call('get', '/api/v1/hosts/resolve', { query: { q: text } });
}

/** `hostname (id)`: how the CLI names a host. */
export function hostLabel(h: { id: string; hostname: string }): string {
  return `${h.hostname} (${h.id})`;
}
