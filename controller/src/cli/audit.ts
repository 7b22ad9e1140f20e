/**
 * `patchfleet audit list|export`: the audit log for admins, through the API
 * (never the database directly, so it works against a running controller and
 * is itself audited). `export` streams JSON lines, one entry per line, oldest
 * first, to a file or stdout, for a SIEM or an archive before retention
 * removes old entries.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { connection, type ConnOpts } from './enroll-token';
import { action, printJson, printTable } from './output';

export function registerAudit(program: Command): void {
  const group = program.command('audit').description('read and export the audit log (admin)');

  connection(group.command('list').description('recent audit entries, newest first'))
    .option('--action <action>', 'only this action, e.g. rollout.approve')
    .option('--target-type <type>', 'only entries about this kind of thing (host, rollout, api-token, ...)')
    .option('--target-id <id>', 'only entries about this one')
    .option('--before <id>', 'entries with an id below this (paging)')
    .option('--limit <n>', 'how many (1-500)', '50')
    .action(
      action(async (opts: ConnOpts & { action?: string; targetType?: string; targetId?: string; before?: string; limit: string }) => {
        const client = new ApiClient(resolveClientOptions(opts));
        const query = {
          limit: Number(opts.limit),
          ...(opts.action ? { action: opts.action } : {}),
          ...(opts.targetType ? { targetType: opts.targetType } : {}),
          ...(opts.targetId ? { targetId: opts.targetId } : {}),
          ...(opts.before ? { before: Number(opts.before) } : {}),
        };
        const page = await client.api.call('get', '/api/v1/audit', { query });
        if (opts.json) return printJson(page);
        printTable(
          ['ID', 'AT', 'ACTOR', 'ACTION', 'TARGET'],
          page.items.map((e) => [String(e.id), e.at, e.actor, e.action, [e.targetType, e.targetId].filter(Boolean).join(' ')]),
        );
      }),
    );

  connection(group.command('export').description('every entry in [since, until) as JSON lines, oldest first'))
    .option('--since <iso-time>', 'from this time (inclusive)')
    .option('--until <iso-time>', 'up to this time (exclusive)')
    .option('--out <file>', 'write to this file (created or truncated; mode 0600) instead of stdout')
    .action(
      action(async (opts: ConnOpts & { since?: string; until?: string; out?: string }) => {
        const client = new ApiClient({ ...resolveClientOptions(opts), timeoutMs: 600_000 });
        const qs = new URLSearchParams({ format: 'jsonl' });
        if (opts.since) qs.set('since', opts.since);
        if (opts.until) qs.set('until', opts.until);
        const out = opts.out ? createWriteStream(opts.out, { mode: 0o600 }) : process.stdout;
        const bytes = await client.download(`/api/v1/audit/export?${qs}`, out);
        if (opts.out) {
          out.end();
          await once(out, 'close');
          process.stderr.write(`wrote ${bytes} bytes of audit entries to ${opts.out}\n`);
        }
      }),
    );
}
