/** `patchfleet incidents list|show`: what tripped health gates found, through the API. */
import type { Command } from 'commander';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { connection, type ConnOpts } from './enroll-token';
import { oneOf } from './flags';
import { action, printJson, printTable } from './output';

export function registerIncidents(program: Command): void {
  const group = program.command('incidents').description('incidents opened by tripped health gates: evidence, statistics, timeline');

  connection(group.command('list').description('incidents, newest first'))
    .option('--state <state>', 'open or resolved')
    .option('--patch <id>', 'only this patch (USN-..., KB..., pkg:NAME=VERSION)')
    .action(
      action(async (opts: ConnOpts & { state?: string; patch?: string }) => {
        const query = { ...(opts.state ? { state: oneOf('--state', opts.state, ['open', 'resolved']) } : {}), ...(opts.patch ? { patch: opts.patch } : {}) };
        const { items } = await new ApiClient(resolveClientOptions(opts)).api.call('get', '/api/v1/incidents', { query });
        if (opts.json) return printJson(items);
        printTable(
          ['ID', 'OPENED', 'STATE', 'PATCH', 'GATE', 'SCOPE', 'HARMED', 'ROLLED BACK'],
          items.map((i) => [i.id, i.openedAt, i.state, i.patchId, i.gate, i.scope, String(i.harmedHosts.length), String(i.rolledBackHosts.length)]),
        );
      }),
    );

  connection(group.command('show').description('one incident with its statistics and timeline').argument('<id>', 'incident id')).action(
    action(async (id: string, opts: ConnOpts) => {
      const i = await new ApiClient(resolveClientOptions(opts)).api.call('get', '/api/v1/incidents/{id}', { params: { id } });
      if (opts.json) return printJson(i);
      const verdicts = ((i.evidence['verdicts'] ?? []) as { gate: string; tripped: boolean; statistic: number; threshold: number; summary: string }[]).filter((v) => v.tripped);
      const lines = [
        `incident ${i.id} (${i.state})`,
        `patch:     ${i.patchId}${i.rolloutId ? ` (rollout ${i.rolloutId})` : ''}`,
        `class:     ${i.scope}`,
        `gate:      ${i.gate}`,
        `summary:   ${i.summary}`,
        ...verdicts.map((v) => `statistic: ${v.gate} ${v.statistic.toPrecision(4)} against ${v.threshold.toPrecision(4)}: ${v.summary}`),
        `harmed:    ${i.harmedHosts.join(', ') || '-'}`,
        `rollback:  ${i.rollbackPolicy}; rolled back ${i.rolledBackHosts.join(', ') || '-'}`,
        'timeline:',
        ...i.timeline.map((e) => `  ${e.at}  ${e.event}${e.details ? `  ${JSON.stringify(e.details)}` : ''}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }),
  );
}
