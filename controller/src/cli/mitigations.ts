/** `patchfleet mitigations list|add|revoke`: accepted mitigations of urgent patches that are held or blocked, through the API. */
import type { Command } from 'commander';
import { systemClock } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { ResponseOf } from '@patchfleet/shared/api';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { connection, type ConnOpts } from './enroll-token';
import { oneOf } from './flags';
import { action, printJson, printTable } from './output';

/** One accepted mitigation as the API answers it. */
type Mitigation = ResponseOf<'/api/v1/mitigations/{id}', 'delete'>;

function scopeText(m: Pick<Mitigation, 'scope'>): string {
  const parts = [...(m.scope.hostIds ?? []).map((h) => `host ${h}`), ...Object.entries(m.scope.labels ?? {}).map(([k, v]) => `${k}=${v}`)];
  return parts.length > 3 ? `${parts.slice(0, 3).join(', ')} and ${parts.length - 3} more` : parts.join(', ');
}

/** `key=value` pairs into labels; PF_ERR_VALIDATION for anything else. */
function parseLabels(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new PfError(Errors.VALIDATION, `--label ${v}: expected key=value`);
    labels[v.slice(0, i)] = v.slice(i + 1);
  }
  return labels;
}

/** `7d`, `12h` or an ISO date-time into an ISO instant (relative to now). */
function expiryOf(value: string, now: number): string {
  const rel = /^(\d+)([dh])$/.exec(value);
  if (rel) return new Date(now + Number(rel[1]) * (rel[2] === 'd' ? 86_400_000 : 3_600_000)).toISOString();
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw new PfError(Errors.VALIDATION, `--expires ${value}: give an ISO date-time or a duration such as 7d or 12h`);
  return new Date(t).toISOString();
}

const collect = (value: string, list: string[]) => [...list, value];

export function registerMitigations(program: Command): void {
  const group = program.command('mitigations').description('accepted mitigations of urgent patches that are held or blocked');

  connection(group.command('list').description('accepted mitigations, soonest expiry first'))
    .option('--state <state>', 'active | expired | revoked | all', 'all')
    .option('--patch <id>', 'only this patch')
    .action(
      action(async (opts: ConnOpts & { state: string; patch?: string }) => {
        const client = new ApiClient(resolveClientOptions(opts));
        const query = { state: oneOf('--state', opts.state, ['active', 'expired', 'revoked', 'all']), ...(opts.patch ? { patchId: opts.patch } : {}) };
        const { items } = await client.api.call('get', '/api/v1/mitigations', { query });
        if (opts.json) return printJson(items);
        printTable(
          ['ID', 'PATCH', 'STATE', 'EXPIRES', 'OWNER', 'SCOPE', 'DESCRIPTION'],
          items.map((m) => [m.id, m.patchId, m.state, m.expiresAt, m.owner, scopeText(m), m.description.slice(0, 60)]),
        );
      }),
    );

  connection(group.command('vendor').description("the vendor's workarounds and mitigations for a patch's CVEs (CVRF), and the mitigations accepted for it").argument('<patch>', 'patch id')).action(
    action(async (patch: string, opts: ConnOpts) => {
      const client = new ApiClient(resolveClientOptions(opts));
      const r = await client.api.call('get', '/api/v1/patches/{id}/mitigations', { params: { id: patch } });
      if (opts.json) return printJson(r);
      if (r.vendor.length === 0) process.stdout.write(`no vendor workaround or mitigation for the ${r.cves.length} CVEs of ${patch}\n`);
      for (const v of r.vendor) process.stdout.write(`${v.cve} ${v.type}: ${v.description}${v.url ? ` (${v.url})` : ''}\n`);
      process.stdout.write(`${r.accepted.length} accepted mitigation${r.accepted.length === 1 ? '' : 's'}${r.accepted.map((m) => `\n  ${m.id} ${m.state} until ${m.expiresAt} (${m.owner}): ${scopeText(m)}`).join('')}\n`);
    }),
  );

  connection(group.command('add').description('record an accepted mitigation (admin; only for an urgent patch that is held or blocked)'))
    .requiredOption('--patch <id>', 'patch id')
    .requiredOption('--description <text>', 'what is done instead of patching')
    .requiredOption('--owner <who>', 'who answers for it')
    .requiredOption('--expires <when>', 'ISO date-time, or a duration such as 14d')
    .option('--host <id>', 'a host in scope (repeat)', collect, [])
    .option('--label <key=value>', 'hosts carrying this label are in scope (repeat; all must match)', collect, [])
    .action(
      action(async (opts: ConnOpts & { patch: string; description: string; owner: string; expires: string; host: string[]; label: string[] }) => {
        const client = new ApiClient(resolveClientOptions(opts));
        const labels = parseLabels(opts.label);
        const scope = { ...(opts.host.length > 0 ? { hostIds: opts.host } : {}), ...(Object.keys(labels).length > 0 ? { labels } : {}) };
        // The controller checks the expiry against its own clock; the CLI only turns "14d" into a date.
        const m = await client.api.call('post', '/api/v1/mitigations', { body: { patchId: opts.patch, description: opts.description, owner: opts.owner, expiresAt: expiryOf(opts.expires, systemClock.now()), scope } });
        if (opts.json) return printJson(m);
        process.stdout.write(`mitigation ${m.id} recorded for ${m.patchId}: ${scopeText(m)} until ${m.expiresAt} (owner ${m.owner})\n`);
      }),
    );

  connection(group.command('revoke').description('revoke an accepted mitigation (admin)').argument('<id>', 'mitigation id')).action(
    action(async (id: string, opts: ConnOpts) => {
      const client = new ApiClient(resolveClientOptions(opts));
      const m = await client.api.call('delete', '/api/v1/mitigations/{id}', { params: { id } });
      if (opts.json) return printJson(m);
      process.stdout.write(`mitigation ${m.id} revoked at ${m.revokedAt ?? '-'}\n`);
    }),
  );
}
