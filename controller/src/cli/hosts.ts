import type { Command } from 'commander';
import type { ResponseOf } from '@patchfleet/shared/api';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { connection, type ConnOpts } from './enroll-token';
import { action, printJson, printTable } from './output';
import { hostLabel, resolveHostArg } from './host-arg';

const HOST_ARG = 'host id, hostname, FQDN, address, serial or unique id prefix';

/** What GET /api/v1/hosts/:id/patches answers. */
type HostPatches = ResponseOf<'/api/v1/hosts/{id}/patches', 'get'>;

/** One line on a host's patch state that never passes "unknown" off as "fully patched". */
export function patchStateLine(p: HostPatches): string {
  if (p.coverage && !p.coverage.covered) return `not assessed: ${p.coverage.reason ?? 'no advisory source covers this host'}`;
  const s = p.summary;
  const tiers = ['critical', 'high', 'medium', 'low'].map((t) => `${t} ${s.byTier[t] ?? 0}`).join(', ');
  const mitigated = s.mitigated ? `, ${s.mitigated} mitigated, not patched` : '';
  return `${s.missing} missing (${tiers}; ${s.overdue} past due${mitigated}), ${s.installed} installed; assessed ${p.assessedAt ?? 'not yet'}`;
}

export function registerHosts(program: Command): void {
  const group = program.command('hosts').description('look hosts up');

  connection(group.command('list').description('list or search hosts (hostname, FQDN, serial, address)'))
    .option('--search <text>', 'filter')
    .option('--limit <n>', 'page size', '50')
    .option('--offset <n>', 'page start', '0')
    .action(
      action(async (opts: ConnOpts & { search?: string; limit: string; offset: string }) => {
        const client = new ApiClient(resolveClientOptions(opts));
        const page = await client.api.call('get', '/api/v1/hosts', { query: { limit: Number(opts.limit), offset: Number(opts.offset), ...(opts.search ? { q: opts.search } : {}) } });
        if (opts.json) return printJson(page);
        printTable(
          ['ID', 'HOSTNAME', 'OS', 'PACKAGES', 'ONLINE', 'LAST SEEN'],
          page.items.map((h) => [h.id, h.hostname, `${h.os.id} ${h.os.version}`.trim(), String(h.packageCount), h.online ? 'yes' : 'no', h.lastSeenAt ?? '-']),
        );
        process.stdout.write(`${page.items.length} of ${page.total}\n`);
      }),
    );

  connection(group.command('show').description('one host in detail').argument('<host>', HOST_ARG)).action(
    action(async (host: string, opts: ConnOpts) => {
      const client = new ApiClient(resolveClientOptions(opts));
      const { id } = await resolveHostArg(client, host);
      const h = await client.api.call('get', '/api/v1/hosts/{id}', { params: { id } });
      if (opts.json) return printJson(h);
      const patches = await client.api.call('get', '/api/v1/hosts/{id}/patches', { params: { id } });
      process.stdout.write(
        [
          `id:        ${h.id}`,
          `hostname:  ${h.hostname}`,
          `os:        ${h.os.name} (${h.os.id} ${h.os.version}), kernel ${h.os.kernel}, ${h.os.arch}`,
          `hardware:  ${[h.hardware.vendor, h.hardware.model].filter(Boolean).join(' ') || '-'}, serial ${h.hardware.serial || '-'}`,
          `addresses: ${h.addresses.join(', ') || '-'}`,
          `labels:    ${Object.entries(h.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '-'}`,
          `packages:  ${h.packageCount}`,
          `online:    ${h.online ? 'yes' : 'no'} (last seen ${h.lastSeenAt ?? 'never'}, last report ${h.lastReportAt ?? 'never'})`,
          `patches:   ${patchStateLine(patches)}`,
        ].join('\n') + '\n',
      );
    }),
  );

  connection(group.command('patches').description("a host's missing advisories with priority, and whether any advisory source covers it").argument('<host>', HOST_ARG)).action(
    action(async (host: string, opts: ConnOpts) => {
      const client = new ApiClient(resolveClientOptions(opts));
      const resolved = await resolveHostArg(client, host);
      const p = await client.api.call('get', '/api/v1/hosts/{id}/patches', { params: { id: resolved.id } });
      if (opts.json) return printJson(p);
      process.stdout.write(`host: ${hostLabel(resolved)}\n`);
      if (p.missing.length > 0)
        printTable(
          ['ID', 'TIER', 'SCORE', 'DUE', 'STATE', 'DECISION', 'CVES', 'TITLE'],
          p.missing.map((m) => [
            m.id,
            m.priority.tier ?? '-',
            String(m.priority.score),
            m.priority.dueBy?.slice(0, 10) ?? '-',
            // An accepted mitigation stands in for the deadline until its expiry; an expired one is overdue.
            m.mitigation ? `${m.mitigation.state === 'mitigated, not patched' ? 'mitigated, not patched' : 'mitigation expired'} (until ${m.mitigation.expiresAt.slice(0, 10)})` : `${m.state ?? 'missing'}${m.overdue ? ', overdue' : ''}`,
            m.decision ? `${m.decision.decision} (reliability ${m.decision.score ?? '-'})` : '-',
            String(m.cves.length),
            m.title.slice(0, 100),
          ]),
        );
      process.stdout.write(`${patchStateLine(p)}\n`);
    }),
  );
}
