/** `patchfleet webhooks add|list|remove|deliveries`: signed webhooks for halts, blocks, approvals and missed deadlines, through the API. */
import type { Command } from 'commander';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { EVENT_TYPES } from '../events/types';
import { connection, type ConnOpts } from './enroll-token';
import { oneOf } from './flags';
import { action, printJson, printTable } from './output';

export function registerWebhooks(program: Command): void {
  const group = program.command('webhooks').description(`signed webhooks (admins): ${EVENT_TYPES.join(', ')}`);

  connection(group.command('add').description('subscribe a URL; prints the signing secret once').argument('<url>', 'http:// or https:// URL'))
    .option('--events <types>', `comma-separated event types (default: all of ${EVENT_TYPES.join(',')})`)
    .option('--description <text>', 'what it is for')
    .action(
      action(async (url: string, opts: ConnOpts & { events?: string; description?: string }) => {
        const events = opts.events?.split(',').map((e) => e.trim()).filter(Boolean).map((e) => oneOf('--events', e, EVENT_TYPES));
        const made = await new ApiClient(resolveClientOptions(opts)).api.call('post', '/api/v1/webhooks', { body: { url, ...(events ? { events } : {}), ...(opts.description ? { description: opts.description } : {}) } });
        if (opts.json) return printJson(made);
        process.stdout.write(`webhook ${made.id} -> ${made.url} (${made.events.join(', ')})\nsecret: ${made.secret}\n(shown once: keep it where the receiver verifies X-Patchfleet-Signature)\n`);
      }),
    );

  connection(group.command('list').description('webhooks, newest first (secrets are never shown again)')).action(
    action(async (opts: ConnOpts) => {
      const { items } = await new ApiClient(resolveClientOptions(opts)).api.call('get', '/api/v1/webhooks');
      if (opts.json) return printJson(items);
      printTable(
        ['ID', 'URL', 'EVENTS', 'CREATED', 'DESCRIPTION'],
        items.map((w) => [w.id, w.url, w.events.join(','), w.createdAt, w.description]),
      );
    }),
  );

  connection(group.command('remove').description('delete a webhook, its pending deliveries and its log').argument('<id>', 'webhook id')).action(
    action(async (id: string, opts: ConnOpts) => {
      const out = await new ApiClient(resolveClientOptions(opts)).api.call('delete', '/api/v1/webhooks/{id}', { params: { id } });
      if (opts.json) return printJson(out);
      process.stdout.write(`deleted webhook ${out.deleted}\n`);
    }),
  );

  connection(group.command('deliveries').description('deliveries of a webhook, newest first, with every attempt').argument('<id>', 'webhook id'))
    .option('--state <state>', 'pending, delivered or failed')
    .option('--limit <n>', 'at most this many (1-500)', '20')
    .action(
      action(async (id: string, opts: ConnOpts & { state?: string; limit: string }) => {
        const query = { limit: Number(opts.limit), ...(opts.state ? { state: oneOf('--state', opts.state, ['pending', 'delivered', 'failed']) } : {}) };
        const { items } = await new ApiClient(resolveClientOptions(opts)).api.call('get', '/api/v1/webhooks/{id}/deliveries', { params: { id }, query });
        if (opts.json) return printJson(items);
        printTable(
          ['DELIVERY', 'EVENT', 'TYPE', 'STATE', 'ATTEMPTS', 'LAST', 'NEXT'],
          items.map((d) => [d.id, d.eventId, d.eventType, d.state, String(d.attempts), d.lastStatus !== null ? String(d.lastStatus) : (d.lastError ?? ''), d.nextAttemptAt ?? '']),
        );
        for (const d of items) {
          for (const a of d.log) process.stdout.write(`  ${d.id} #${a.attempt} ${a.at} ${a.statusCode ?? '-'} ${a.durationMs} ms${a.error ? ` ${a.error}` : ''}\n`);
        }
      }),
    );
}
