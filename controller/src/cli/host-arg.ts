import type { ApiClient } from '../client/api-client';
import type { ResolvedHost } from '../hosts/resolve';

/**
 * The one host a person named on the command line (id, hostname, FQDN,
 * address, serial or unique id prefix), resolved by the controller
 * (GET /api/v1/hosts/resolve). Several matches fail with
 * PF_ERR_HOST_AMBIGUOUS naming them; none with PF_ERR_NOT_FOUND.
 */
export function resolveHostArg(client: ApiClient, text: string): Promise<ResolvedHost> {
  return client.call<ResolvedHost>('GET', `/api/v1/hosts/resolve?${new URLSearchParams({ q: text })}`);
}

/** `hostname (id)`: how the CLI names a host. */
export function hostLabel(h: { id: string; hostname: string }): string {
  return `${h.hostname} (${h.id})`;
}
