/** `patchfleet blocks list|lift`: patch blocks set by tripped health gates, through the API. */
import type { Command } from 'commander';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { connection, type ConnOpts } from './enroll-token';
import { oneOf } from './flags';
import { action, printJson, printTable } from './output';

export function registerBlocks(program: Command): void {
  const group = program.command('blocks').description('patches blocked for a host class (or fleet-wide) by a tripped health gate');

  connection(group.command('list').description('blocks, newest first'))
    .option('--state <state>', 'active or lifted (default: active)', 'active')
    .option('--all', 'active and lifted')
    .action(
      action(async (opts: ConnOpts & { state: string; all?: boolean }) => {
        const query = opts.all ? {} : { state: oneOf('--state', opts.state, ['active', 'lifted']) };
        const { items } = await new ApiClient(resolveClientOptions(opts)).api.call('get', '/api/v1/blocks', { query });
        if (opts.json) return printJson(items);
        printTable(
          ['ID', 'PATCH', 'SCOPE', 'STATE', 'SINCE', 'INCIDENT', 'LIFT'],
          items.map((b) => [b.id, b.patchId, b.scope, b.state, b.createdAt, b.incidentId ?? '', b.state === 'lifted' ? `lifted ${b.liftedAt ?? ''}` : b.liftRequest ? `asked by ${b.liftRequest.person ?? b.liftRequest.by}: needs a second person` : '']),
        );
      }),
    );

  connection(group.command('lift').description('lift a block (admin); a fleet-wide block takes a second admin who is another person').argument('<id>', 'block id'))
    .requiredOption('--reason <text>', 'why the block can go (audited, on the incident timeline)')
    .action(
      action(async (id: string, opts: ConnOpts & { reason: string }) => {
        const out = await new ApiClient(resolveClientOptions(opts)).api.call('post', '/api/v1/blocks/{id}/lift', { params: { id }, body: { reason: opts.reason } });
        if (opts.json) return printJson(out);
        if (out.outcome === 'awaiting-second-person') process.stdout.write(`lift of fleet-wide block ${id} recorded; a second admin (another person) must lift it too\n`);
        else process.stdout.write(`lifted block ${id} (${out.block.patchId}, ${out.block.scope}); ${out.unblockedHosts} host(s) back to pending\n`);
      }),
    );
}
