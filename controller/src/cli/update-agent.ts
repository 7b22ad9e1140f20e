import type { Command } from 'commander';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { connection, type ConnOpts } from './enroll-token';
import { action, printJson, printTable } from './output';
import { printRollout } from './rollout';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `patchfleet update-agent VERSION [--ring R ...]`: an agent-version
 * rollout (the same as `rollout start --agent-version VERSION`), and
 * `patchfleet update-agent --list`: the releases the controller serves.
 */
export function registerUpdateAgent(program: Command): void {
  connection(program.command('update-agent').description('roll an agent version out through the rings (update-agent commands), or list the agent releases the controller serves'))
    .argument('[version]', 'agent version to roll out (its signed agent-release*.json must be in the releases folder)')
    .option('--ring <name>', 'only these rings; repeatable (default: all)', collect)
    .option('--name <text>', 'a name for the rollout')
    .option('--expedite', 'skip deferral and soak (admins; windows and freezes still hold)')
    .option('--list', 'list the agent releases in the releases folder instead')
    .action(
      action(async (version: string | undefined, opts: ConnOpts & { ring?: string[]; name?: string; expedite?: boolean; list?: boolean }) => {
        const client = new ApiClient(resolveClientOptions(opts)).api;
        if (opts.list) {
          const r = await client.call('get', '/api/v1/agent-releases', {});
          if (opts.json) return printJson(r);
          process.stdout.write(`releases folder ${r.dir}\n`);
          printTable(
            ['VERSION', 'EXPIRES', 'MANIFEST', 'FILES'],
            r.items.map((i) => [i.version, `${i.expires}${i.expired ? ' (EXPIRED)' : ''}`, i.manifest, i.files.map((f) => `${f.platform}:${f.name}`).join(' ')]),
          );
          return;
        }
        if (!version) throw new PfError(Errors.VALIDATION, 'name the agent version to roll out (patchfleet update-agent 0.2.0), or --list');
        const body = {
          patches: [],
          packages: [],
          agentVersion: version,
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.ring ? { rings: opts.ring } : {}),
          ...(opts.expedite ? { expedite: true } : {}),
        };
        const r = await client.call('post', '/api/v1/rollouts', { body });
        if (opts.json) printJson(r);
        else printRollout(r);
      }),
    );
}
