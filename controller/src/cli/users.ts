import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { connection, type ConnOpts } from './enroll-token';
import { action, printJson, printTable } from './output';

interface UserRow {
  id: string;
  name: string;
  role: string;
  disabled: boolean;
  signIn: string[];
  lockedUntil: string | null;
  createdAt: string;
}

/** Reads a password from standard input (first line), so it never appears in a process list or shell history. */
async function passwordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new PfError(Errors.VALIDATION, '--password-stdin: standard input held no password');
  return line;
}

/** A password for a new user or a reset: from stdin when asked, else a random one printed once. */
async function chosenPassword(opts: { passwordStdin?: boolean }): Promise<{ password: string; generated: boolean }> {
  if (opts.passwordStdin) return { password: await passwordFromStdin(), generated: false };
  return { password: randomBytes(15).toString('base64url'), generated: true };
}

/** The user called NAME or with id ID. */
async function findUser(client: ApiClient, nameOrId: string): Promise<UserRow> {
  const page = await client.call<{ items: UserRow[] }>('GET', '/api/v1/users');
  const found = page.items.find((u) => u.id === nameOrId || u.name === nameOrId);
  if (!found) throw new PfError(Errors.NOT_FOUND, `no user ${nameOrId}; patchfleet users list shows them`);
  return found;
}

/** `patchfleet users list|create|set-role|disable|enable|reset-password` (admins). */
export function registerUsers(program: Command): void {
  const users = program.command('users').description('user accounts that sign in to the dashboard (admins)');

  connection(users.command('list').description('user accounts with role and state')).action(
    action(async (opts: ConnOpts) => {
      const page = await new ApiClient(resolveClientOptions(opts)).call<{ items: UserRow[] }>('GET', '/api/v1/users');
      if (opts.json) return printJson(page);
      printTable(
        ['ID', 'NAME', 'ROLE', 'STATE', 'SIGN-IN', 'CREATED'],
        page.items.map((u) => [u.id, u.name, u.role, u.disabled ? 'disabled' : u.lockedUntil ? `locked until ${u.lockedUntil}` : 'active', u.signIn.join(',') || '-', u.createdAt]),
      );
    }),
  );

  connection(users.command('create').description('create a user; prints a random initial password once unless --password-stdin or --oidc-only').argument('<name>', 'sign-in name'))
    .option('--role <role>', 'admin, operator or helpdesk', 'helpdesk')
    .option('--password-stdin', 'read the initial password from standard input')
    .option('--oidc-only', 'no password: the user signs in through single sign-on only')
    .action(
      action(async (name: string, opts: ConnOpts & { role: string; passwordStdin?: boolean; oidcOnly?: boolean }) => {
        const chosen = opts.oidcOnly ? undefined : await chosenPassword(opts);
        const u = await new ApiClient(resolveClientOptions(opts)).call<UserRow>('POST', '/api/v1/users', { name, role: opts.role, password: chosen?.password ?? null });
        if (opts.json) return printJson(chosen?.generated ? { ...u, initialPassword: chosen.password } : u);
        if (chosen?.generated) process.stdout.write(`${chosen.password}\n`);
        process.stderr.write(`user ${u.name} (${u.id}), ${u.role}${chosen?.generated ? ': the line above is the initial password, shown once' : ''}\n`);
      }),
    );

  connection(users.command('set-role').description("change a user's role (their sessions end)").argument('<user>', 'name or id').argument('<role>', 'admin, operator or helpdesk')).action(
    action(async (who: string, role: string, opts: ConnOpts) => {
      const client = new ApiClient(resolveClientOptions(opts));
      const u = await client.call<UserRow>('PATCH', `/api/v1/users/${(await findUser(client, who)).id}`, { role });
      if (opts.json) printJson(u);
      else process.stdout.write(`${u.name} is ${u.role}\n`);
    }),
  );

  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    connection(users.command(verb).description(disabled ? 'stop a user from signing in (their sessions end)' : 'let a disabled user sign in again').argument('<user>', 'name or id')).action(
      action(async (who: string, opts: ConnOpts) => {
        const client = new ApiClient(resolveClientOptions(opts));
        const u = await client.call<UserRow>('PATCH', `/api/v1/users/${(await findUser(client, who)).id}`, { disabled });
        if (opts.json) printJson(u);
        else process.stdout.write(`${u.name} is ${u.disabled ? 'disabled' : 'enabled'}\n`);
      }),
    );
  }

  connection(users.command('reset-password').description("set a new password for a user (their sessions end); prints a random one once unless --password-stdin").argument('<user>', 'name or id'))
    .option('--password-stdin', 'read the new password from standard input')
    .action(
      action(async (who: string, opts: ConnOpts & { passwordStdin?: boolean }) => {
        const client = new ApiClient(resolveClientOptions(opts));
        const chosen = await chosenPassword(opts);
        const u = await client.call<UserRow>('PATCH', `/api/v1/users/${(await findUser(client, who)).id}`, { password: chosen.password });
        if (opts.json) return printJson(chosen.generated ? { ...u, password: chosen.password } : u);
        if (chosen.generated) process.stdout.write(`${chosen.password}\n`);
        process.stderr.write(`password of ${u.name} reset${chosen.generated ? ': the line above is the new password, shown once' : ''}\n`);
      }),
    );
}
