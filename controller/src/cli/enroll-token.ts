import type { Command } from 'commander';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { action, printJson, printTable } from './output';

/** Parses `k=v,k2=v2` into labels. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    if (!/^[A-Za-z0-9_.-]{1,63}$/.test(key)) throw new PfError(Errors.VALIDATION, `label "${part}" must be key=value with a key of letters, digits, _ . -`);
    labels[key] = part.slice(eq + 1).trim();
  }
  return labels;
}

/** The flags every command that talks to a running controller shares. */
export function connection(cmd: Command): Command {
  return cmd
    .option('--server <url>', 'controller URL (default: PATCHFLEET_SERVER or bootstrap.json)')
    .option('--api-token <token>', 'API token (default: PATCHFLEET_API_TOKEN or bootstrap.json)')
    .option('--ca-fingerprint <hex>', 'pin the controller certificate (default: PATCHFLEET_CA_FINGERPRINT or bootstrap.json)')
    .option('--data-dir <dir>', 'controller data directory to read bootstrap.json from')
    .option('--json', 'print JSON');
}

export type ConnOpts = { server?: string; apiToken?: string; caFingerprint?: string; dataDir?: string; json?: boolean };

export function registerEnrollToken(program: Command): void {
  const group = program.command('enroll-token').description('manage agent enrollment tokens');

  connection(group.command('create').description('create an enrollment token and print it'))
    .option('--uses <n>', 'how many agents may enroll with it', '1')
    .option('--ttl <duration>', 'how long it is valid (e.g. 30m, 1h, 7d)', '1h')
    .option('--labels <k=v,...>', 'labels given to hosts enrolled with it')
    .option('--description <text>', 'what the token is for')
    .action(
      action(async (opts: ConnOpts & { uses: string; ttl: string; labels?: string; description?: string }) => {
        const uses = Number(opts.uses);
        if (!Number.isInteger(uses) || uses < 1) throw new PfError(Errors.VALIDATION, `--uses must be a positive whole number, got "${opts.uses}"`);
        const client = new ApiClient(resolveClientOptions(opts));
        const created = await client.api.call('post', '/api/v1/enrollment-tokens', {
          body: {
            uses,
            ttl: opts.ttl,
            labels: opts.labels ? parseLabels(opts.labels) : {},
            description: opts.description ?? '',
          },
        });
        if (opts.json) printJson(created);
        else process.stdout.write(`${created.token}\n`);
      }),
    );

  connection(group.command('list').description('list enrollment tokens')).action(
    action(async (opts: ConnOpts) => {
      const client = new ApiClient(resolveClientOptions(opts));
      const { items } = await client.api.call('get', '/api/v1/enrollment-tokens');
      if (opts.json) return printJson(items);
      printTable(
        ['ID', 'STATE', 'USES', 'EXPIRES', 'LABELS', 'DESCRIPTION'],
        items.map((t) => [t.id, t.state, `${t.uses}/${t.maxUses}`, t.expiresAt, Object.entries(t.labels).map(([k, v]) => `${k}=${v}`).join(','), t.description]),
      );
    }),
  );

  connection(group.command('revoke').description('revoke an enrollment token').argument('<id>', 'token id (et_...)')).action(
    action(async (id: string, opts: ConnOpts) => {
      const client = new ApiClient(resolveClientOptions(opts));
      const view = await client.api.call('post', '/api/v1/enrollment-tokens/{id}/revoke', { params: { id } });
      if (opts.json) printJson(view);
      else process.stdout.write(`revoked ${view.id}\n`);
    }),
  );
}
