import type { Command } from 'commander';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { connection, type ConnOpts } from './enroll-token';
import { oneOf } from './flags';
import { action, printJson, printTable } from './output';

/** `patchfleet api-token create|list|revoke`. */
export function registerApiToken(program: Command): void {
  const tokens = program.command('api-token').description('API tokens for people and scripts: your own; admins see and revoke everyone\'s');
  connection(tokens.command('create').description('create an API token and print its secret once'))
    .requiredOption('--name <name>', 'who or what uses it')
    .option('--role <role>', 'admin, operator or helpdesk', 'helpdesk')
    .option('--expires <duration>', 'lifetime: 90d (default), 12h, 2w, ... at most 365d')
    .option('--person <name>', 'a service account it belongs to, registered when new (admin users only). Default: your own person')
    .action(
      action(async (opts: ConnOpts & { name: string; role: string; expires?: string; person?: string }) => {
        const body = { name: opts.name, role: oneOf('--role', opts.role, ['admin', 'operator', 'helpdesk']), ...(opts.expires ? { expires: opts.expires } : {}), ...(opts.person ? { person: opts.person } : {}) };
        const t = await new ApiClient(resolveClientOptions(opts)).api.call('post', '/api/v1/api-tokens', { body });
        if (opts.json) printJson(t);
        else {
          process.stdout.write(`${t.token}\n`);
          process.stderr.write(`token ${t.id} (${t.role}) for ${t.person}, expires ${t.expiresAt ?? 'never'}\n`);
        }
      }),
    );

  connection(tokens.command('list').description("live API tokens, never their secrets (an admin's: everyone's)"))
    .option('--all', 'revoked and expired tokens too, newest first')
    .option('--mine', 'only your own (admins)')
    .action(
      action(async (opts: ConnOpts & { all?: boolean; mine?: boolean }) => {
        const page = await new ApiClient(resolveClientOptions(opts)).api.call('get', '/api/v1/api-tokens', { query: { include: opts.all ? 'all' : undefined, mine: opts.mine ? true : undefined } });
        if (opts.json) return printJson(page);
        printTable(
          ['ID', 'NAME', 'ROLE', 'PERSON', 'CREATED', 'EXPIRES', 'LAST USED', 'STATE'],
          page.items.map((t) => [t.id, t.name, t.role, t.person, t.createdAt, t.expiresAt ?? 'never', t.lastUsedAt ?? '-', t.state]),
        );
      }),
    );

  connection(tokens.command('revoke').description('revoke an API token for good').argument('<id>', 'token id (at_...)')).action(
    action(async (id: string, opts: ConnOpts) => {
      const res = await new ApiClient(resolveClientOptions(opts)).api.call('post', '/api/v1/api-tokens/{id}/revoke', { params: { id } });
      if (opts.json) printJson(res);
      else process.stdout.write(`revoked ${res.revoked}\n`);
    }),
  );
}

/** `patchfleet hosts revoke ID`: the agent's socket is closed at once and it cannot come back. */
export function registerHostRevoke(hosts: Command): void {
  connection(hosts.command('revoke').description("revoke a host's agent (closes its connection; it cannot reconnect)").argument('<id>', 'host id'))
    .option('--reason <text>', 'why (kept in the audit log)')
    .action(
      action(async (id: string, opts: ConnOpts & { reason?: string }) => {
        const res = await new ApiClient(resolveClientOptions(opts)).api.call('post', '/api/v1/hosts/{id}/revoke', { params: { id }, body: opts.reason ? { reason: opts.reason } : {} });
        if (opts.json) printJson(res);
        else process.stdout.write(`revoked ${res.revoked} (${res.hostname}); ${res.cancelledCommands} unsent command(s) cancelled\n`);
      }),
    );
}
