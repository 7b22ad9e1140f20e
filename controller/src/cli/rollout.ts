import type { Command } from 'commander';
import type { ResponseOf } from '@patchfleet/shared/api';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { connection, type ConnOpts } from './enroll-token';
import { action, printJson, printTable } from './output';

/** A rollout as the API answers it. */
type RolloutView = ResponseOf<'/api/v1/rollouts/{id}', 'get'>;

/** The API path of each rollout control. */
const CONTROL_PATHS = {
  pause: '/api/v1/rollouts/{id}/pause',
  resume: '/api/v1/rollouts/{id}/resume',
  cancel: '/api/v1/rollouts/{id}/cancel',
  rollback: '/api/v1/rollouts/{id}/rollback',
} as const;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `name=version` -> { name, version }. */
export function parsePackageSpec(text: string): { name: string; version: string } {
  const m = /^([a-z0-9][a-z0-9+.-]+)=([^=\s]+)$/.exec(text.trim());
  if (!m?.[1] || !m[2]) throw new PfError(Errors.VALIDATION, `--package "${text}" must be NAME=VERSION, e.g. openssl=3.0.13-0ubuntu3.5`);
  return { name: m[1], version: m[2] };
}

function counts(hosts: Record<string, number>): string {
  const order = ['pending', 'installing', 'succeeded', 'failed', 'rolling-back', 'rolled-back', 'rollback-failed', 'skipped'];
  return order.filter((s) => hosts[s]).map((s) => `${s} ${hosts[s]}`).join(', ') || 'none';
}

/** Human view of one rollout. */
export function printRollout(r: RolloutView): void {
  process.stdout.write(`rollout ${r.id}  ${r.name}\n`);
  process.stdout.write(`state    ${r.state}${r.stateReason ? ` (${r.stateReason})` : ''}${r.expedite ? '  [expedited]' : ''}\n`);
  process.stdout.write(`released ${r.releasedAt}   hosts: ${counts(r.hosts)}\n`);
  printTable(
    ['RING', 'STATE', 'WAVE', 'HOSTS', 'APPROVALS', 'ELIGIBLE', 'DEADLINE', 'NOTE'],
    r.rings.map((g) => [
      g.ring,
      g.state,
      String(g.wave),
      counts(g.hosts),
      g.approvals.needed > 0 ? `${g.approvals.by.length}/${g.approvals.needed}${g.approvals.by.length ? ` (${g.approvals.by.join(', ')})` : ''}` : '-',
      g.eligibleAt,
      `${g.deadlineAt}${g.deadlineMissed ? ` (${g.deadlineMissed} missed)` : ''}`,
      g.note ?? '',
    ]),
  );
}

/** `patchfleet rollout start|list|status|pause|resume|cancel|approve|rollback` and `patchfleet freeze ...`. */
export function registerRollout(program: Command): void {
  const group = program.command('rollout').description('roll patches out ring by ring; steer, approve and roll back');

  connection(group.command('start').description('start a rollout of catalog patches and/or exact package versions, or of an agent version'))
    .option('--patch <id>', 'catalog patch (USN-7604-1, KB5072033); repeatable', collect)
    .option('--package <name=version>', 'exact package version; repeatable', collect)
    .option('--agent-version <version>', 'update agents to this version (its signed agent-release*.json must be in the releases folder); alone, without --patch/--package')
    .option('--ring <name>', 'only these rings; repeatable (default: all)', collect)
    .option('--name <text>', 'a name for the rollout')
    .option('--expedite', 'skip deferral and soak (admins; windows and freezes still hold)')
    .option('--released-at <iso>', 'release date the deferrals count from')
    .action(
      action(async (opts: ConnOpts & { patch?: string[]; package?: string[]; agentVersion?: string; ring?: string[]; name?: string; expedite?: boolean; releasedAt?: string }) => {
        const packages = (opts.package ?? []).map(parsePackageSpec);
        if ((opts.patch ?? []).length === 0 && packages.length === 0 && !opts.agentVersion) throw new PfError(Errors.VALIDATION, 'give at least one --patch or --package, or --agent-version');
        const body = {
          ...(opts.name ? { name: opts.name } : {}),
          patches: opts.patch ?? [],
          packages,
          ...(opts.agentVersion ? { agentVersion: opts.agentVersion } : {}),
          ...(opts.ring ? { rings: opts.ring } : {}),
          ...(opts.expedite ? { expedite: true } : {}),
          ...(opts.releasedAt ? { releasedAt: opts.releasedAt } : {}),
        };
        const r = await new ApiClient(resolveClientOptions(opts)).api.call('post', '/api/v1/rollouts', { body });
        if (opts.json) printJson(r);
        else printRollout(r);
      }),
    );

  connection(group.command('list').description('recent rollouts')).action(
    action(async (opts: ConnOpts) => {
      const { items } = await new ApiClient(resolveClientOptions(opts)).api.call('get', '/api/v1/rollouts');
      if (opts.json) return printJson(items);
      printTable(['ID', 'STATE', 'NAME', 'HOSTS', 'CREATED'], items.map((r) => [r.id, r.state, r.name, counts(r.hosts), r.createdAt]));
    }),
  );

  connection(group.command('status').description('where a rollout stands, ring by ring').argument('<id>', 'rollout id (ro_...)'))
    .option('--hosts', 'also list every host')
    .action(
      action(async (id: string, opts: ConnOpts & { hosts?: boolean }) => {
        const client = new ApiClient(resolveClientOptions(opts));
        const r = await client.api.call('get', '/api/v1/rollouts/{id}', { params: { id } });
        const hosts = opts.hosts ? (await client.api.call('get', '/api/v1/rollouts/{id}/hosts', { params: { id } })).items : undefined;
        if (opts.json) return printJson(hosts ? { ...r, hostList: hosts } : r);
        printRollout(r);
        if (hosts) {
          process.stdout.write('\n');
          printTable(
            ['HOST', 'HOSTNAME', 'RING', 'STATE', 'WAVE', 'TRIES', 'CHANGE', 'ERROR'],
            hosts.map((h) => [h.hostId, h.hostname, h.ring, h.state, h.wave === null ? '-' : String(h.wave), String(h.attempts), (h.replaced ?? h.packages.map((p) => ({ name: p.name, from: '?', to: p.version }))).map((c) => `${c.name} ${c.from ?? '-'}->${c.to ?? '-'}`).join(' ') || (h.kb ?? ''), h.errorCode ?? '']),
          );
        }
      }),
    );

  for (const op of ['pause', 'resume', 'cancel', 'rollback'] as const) {
    const descriptions = { pause: 'order nothing new (running installs finish)', resume: 'continue a paused or halted rollout', cancel: 'stop for good; unaccepted commands are cancelled', rollback: 'return every patched host to its recorded versions (admins)' };
    connection(group.command(op).description(descriptions[op]).argument('<id>', 'rollout id'))
      .option('--reason <text>', 'why (recorded in the audit log)')
      .action(
        action(async (id: string, opts: ConnOpts & { reason?: string }) => {
          const r = await new ApiClient(resolveClientOptions(opts)).api.call('post', CONTROL_PATHS[op], { params: { id }, body: opts.reason ? { reason: opts.reason } : {} });
          if (opts.json) printJson(r);
          else printRollout(r);
        }),
      );
  }

  connection(group.command('approve').description('approve a ring of a rollout (admins; a second approval must come from another admin)').argument('<id>', 'rollout id'))
    .requiredOption('--ring <name>', 'ring to approve')
    .option('--comment <text>', 'recorded with the approval')
    .action(
      action(async (id: string, opts: ConnOpts & { ring: string; comment?: string }) => {
        const res = await new ApiClient(resolveClientOptions(opts)).api.call('post', '/api/v1/rollouts/{id}/approve', {
          params: { id },
          body: { ring: opts.ring, ...(opts.comment ? { comment: opts.comment } : {}) },
        });
        if (opts.json) return printJson(res);
        process.stdout.write(`approved ring ${opts.ring}: ${res.approvals} of ${res.needed} approval(s)\n`);
      }),
    );

  const freeze = program.command('freeze').description('change freezes: no ring starts installing inside one');
  connection(freeze.command('add').description('add a change freeze'))
    .requiredOption('--from <iso>', 'start (ISO 8601)')
    .requiredOption('--until <iso>', 'end (ISO 8601)')
    .requiredOption('--reason <text>', 'why')
    .option('--ring <name>', 'only this ring (default: every ring)')
    .action(
      action(async (opts: ConnOpts & { from: string; until: string; reason: string; ring?: string }) => {
        for (const [flag, v] of [['--from', opts.from], ['--until', opts.until]] as const) {
          if (Number.isNaN(Date.parse(v))) throw new PfError(Errors.VALIDATION, `${flag} "${v}" is not an ISO 8601 time`);
        }
        const f = await new ApiClient(resolveClientOptions(opts)).api.call('post', '/api/v1/freezes', {
          body: {
            startsAt: new Date(opts.from).toISOString(),
            endsAt: new Date(opts.until).toISOString(),
            reason: opts.reason,
            ...(opts.ring ? { ring: opts.ring } : {}),
          },
        });
        if (opts.json) printJson(f);
        else process.stdout.write(`freeze ${f.id} from ${f.startsAt} until ${f.endsAt}${f.ring ? ` (ring ${opts.ring})` : ' (every ring)'}\n`);
      }),
    );
  connection(freeze.command('list').description('list change freezes')).action(
    action(async (opts: ConnOpts) => {
      const { items } = await new ApiClient(resolveClientOptions(opts)).api.call('get', '/api/v1/freezes');
      if (opts.json) return printJson(items);
      printTable(['ID', 'RING', 'FROM', 'UNTIL', 'REASON'], items.map((f) => [f.id, f.ring ?? '(all)', f.startsAt, f.endsAt, f.reason]));
    }),
  );
  connection(freeze.command('delete').description('remove a change freeze').argument('<id>', 'freeze id (fz_...)')).action(
    action(async (id: string, opts: ConnOpts) => {
      const res = await new ApiClient(resolveClientOptions(opts)).api.call('delete', '/api/v1/freezes/{id}', { params: { id } });
      if (opts.json) printJson(res);
      else process.stdout.write(`deleted ${res.deleted}\n`);
    }),
  );
}
