import type { Command } from 'commander';
import type { BodyOf, ResponseOf } from '@patchfleet/shared/api';
import { isPfError, PfError, Errors } from '@patchfleet/shared/errors';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { connection, type ConnOpts } from './enroll-token';
import { action, printJson, printTable } from './output';

/** A ring as the API answers it. */
type RingView = ResponseOf<'/api/v1/rings/{id}', 'get'>;
/** The body of PATCH /api/v1/rings/:id: the settings to change. */
type RingInput = BodyOf<'/api/v1/rings/{id}', 'patch'>;
type MaintenanceWindow = NonNullable<RingInput['windows']>[number];

/** Parses `--window "cron;timeZone;minutes"`, e.g. `0 2 * * 6;Europe/Berlin;240`. */
export function parseWindow(text: string): MaintenanceWindow {
  const parts = text.split(';').map((p) => p.trim());
  const minutes = Number(parts[2]);
  if (parts.length !== 3 || !parts[0] || !parts[1] || !Number.isInteger(minutes) || minutes < 1) {
    throw new PfError(Errors.VALIDATION, `--window "${text}" must be "cron;time zone;minutes", e.g. "0 2 * * 6;Europe/Berlin;240"`);
  }
  return { cron: parts[0], timeZone: parts[1], durationMin: minutes };
}

function wholeNumber(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new PfError(Errors.VALIDATION, `${flag} must be a whole number >= 0, got "${text}"`);
  return n;
}

type SetOpts = ConnOpts & {
  position?: string;
  percent?: string;
  deferralDays?: string;
  deadlineDays?: string;
  graceDays?: string;
  window?: string[];
  noWindows?: boolean;
  waveSize?: string;
  maxConcurrent?: string;
  soakHours?: string;
  minHostsDone?: string;
  maxFailureRate?: string;
  reboot?: string;
  rebootDeadlineHours?: string;
  approval?: boolean;
  rollback?: string;
  rebootGraceMin?: string;
  watchHours?: string;
  alpha?: string;
};

/** Turns `rings set` flags into the changed settings (only the flags given). */
export function ringInputFromFlags(opts: SetOpts, current: RingView | undefined): RingInput {
  const input: RingInput = {};
  if (opts.position !== undefined) input.position = wholeNumber('--position', opts.position);
  if (opts.percent !== undefined) input.percent = opts.percent === 'none' ? null : wholeNumber('--percent', opts.percent);
  if (opts.deferralDays !== undefined) input.deferralDays = wholeNumber('--deferral-days', opts.deferralDays);
  if (opts.deadlineDays !== undefined) input.deadlineDays = wholeNumber('--deadline-days', opts.deadlineDays);
  if (opts.graceDays !== undefined) input.graceDays = wholeNumber('--grace-days', opts.graceDays);
  if (opts.window && opts.window.length > 0) input.windows = opts.window.map(parseWindow);
  else if (opts.noWindows) input.windows = [];
  if (opts.waveSize !== undefined) input.waveSize = wholeNumber('--wave-size', opts.waveSize);
  if (opts.maxConcurrent !== undefined) input.maxConcurrent = wholeNumber('--max-concurrent', opts.maxConcurrent);
  if (opts.soakHours !== undefined) input.soakHours = wholeNumber('--soak-hours', opts.soakHours);
  if (opts.minHostsDone !== undefined || opts.maxFailureRate !== undefined) {
    const rate = opts.maxFailureRate === undefined ? undefined : Number(opts.maxFailureRate);
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw new PfError(Errors.VALIDATION, `--max-failure-rate must be between 0 and 1, got "${opts.maxFailureRate}"`);
    input.promotion = {
      minHostsDone: opts.minHostsDone === undefined ? (current?.promotion.minHostsDone ?? 1) : wholeNumber('--min-hosts-done', opts.minHostsDone),
      maxFailureRate: rate ?? current?.promotion.maxFailureRate ?? 0.05,
    };
  }
  if (opts.reboot !== undefined || opts.rebootDeadlineHours !== undefined) {
    const policy = opts.reboot ?? current?.reboot.policy ?? 'when-required';
    if (policy !== 'never' && policy !== 'when-required' && policy !== 'always') throw new PfError(Errors.VALIDATION, `--reboot must be never, when-required or always, got "${policy}"`);
    input.reboot = { policy, deadlineHours: opts.rebootDeadlineHours === undefined ? (current?.reboot.deadlineHours ?? 24) : wholeNumber('--reboot-deadline-hours', opts.rebootDeadlineHours) };
  }
  if (opts.approval !== undefined) input.approvalRequired = opts.approval;
  if (opts.rollback !== undefined || opts.rebootGraceMin !== undefined || opts.alpha !== undefined || opts.watchHours !== undefined) {
    const health: NonNullable<RingInput['health']> = {};
    if (opts.rollback !== undefined) {
      if (opts.rollback !== 'harmed' && opts.rollback !== 'cohort' && opts.rollback !== 'none') throw new PfError(Errors.VALIDATION, `--rollback must be harmed, cohort or none, got "${opts.rollback}"`);
      health.rollback = opts.rollback;
    }
    if (opts.rebootGraceMin !== undefined) health.rebootGraceMin = wholeNumber('--reboot-grace-min', opts.rebootGraceMin);
    if (opts.watchHours !== undefined) health.watchHours = wholeNumber('--watch-hours', opts.watchHours);
    if (opts.alpha !== undefined) {
      const alpha = Number(opts.alpha);
      if (!(alpha > 0 && alpha <= 0.2)) throw new PfError(Errors.VALIDATION, `--alpha must be above 0 and at most 0.2, got "${opts.alpha}"`);
      health.alpha = alpha;
    }
    input.health = health;
  }
  return input;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function printRings(items: RingView[]): void {
  printTable(
    ['NAME', 'POS', 'SHARE', 'DEFER', 'DEADLINE', 'GRACE', 'SOAK', 'REBOOT', 'APPROVAL', 'HEALTH', 'WINDOWS'],
    items.map((r) => [
      r.name,
      String(r.position),
      r.percent === null ? 'pinned' : `${r.percent}%`,
      `${r.deferralDays}d`,
      `${r.deadlineDays}d`,
      `${r.graceDays}d`,
      `${r.soakHours}h`,
      `${r.reboot.policy}/${r.reboot.deadlineHours}h`,
      r.approvalRequired ? 'yes' : 'no',
      `rollback ${r.health.rollback}, grace ${r.health.rebootGraceMin}m, alpha ${r.health.alpha}, watch ${r.health.watchHours}h`,
      r.windows.map((w) => `${w.cron} ${w.timeZone} ${w.durationMin}m`).join('; '),
    ]),
  );
}

/** `patchfleet rings list|set|delete|assign`. */
export function registerRings(program: Command): void {
  const group = program.command('rings').description('deployment rings, host pins and ring assignment');

  connection(group.command('list').description('list rings in release order')).action(
    action(async (opts: ConnOpts) => {
      const { items } = await new ApiClient(resolveClientOptions(opts)).api.call('get', '/api/v1/rings');
      if (opts.json) printJson(items);
      else printRings(items);
    }),
  );

  connection(group.command('set').description('create a ring or change the given settings of one').argument('<name>', 'ring name'))
    .option('--position <n>', 'release order (0 first)')
    .option('--percent <n|none>', 'share of automatically assigned hosts; none: pinned/rule hosts only')
    .option('--deferral-days <n>', 'days after release before the ring is offered the patch')
    .option('--deadline-days <n>', 'days after deferral before installing is enforced')
    .option('--grace-days <n>', 'days after the deadline before a forced reboot')
    .option('--window <cron;tz;minutes>', 'maintenance window (repeatable; replaces all windows)', collect)
    .option('--no-windows', 'remove all maintenance windows')
    .option('--wave-size <n>', 'hosts per wave (0: whole ring)')
    .option('--max-concurrent <n>', 'installs at once (0: no limit)')
    .option('--soak-hours <n>', 'minimum hours before the next ring starts')
    .option('--min-hosts-done <n>', 'promotion: hosts that must be done')
    .option('--max-failure-rate <0..1>', 'promotion: highest failure rate allowed')
    .option('--reboot <policy>', 'never, when-required or always')
    .option('--reboot-deadline-hours <n>', 'how long a reboot may wait')
    .option('--approval', 'require approval before this ring starts')
    .option('--no-approval', 'do not require approval')
    .option('--rollback <policy>', 'after a tripped health gate roll back: harmed (the hosts that showed the harm), cohort (every patched host of the class) or none')
    .option('--reboot-grace-min <n>', 'minutes a host has to come back with a new boot id after an install that reboots')
    .option('--alpha <level>', "health gates' false-trip bound, above 0 and at most 0.2 (default 0.01)")
    .option('--watch-hours <n>', 'hours the health gates keep judging a host after its install, whatever the ring or rollout state (default 168; 0: only while the ring installs or soaks)')
    .action(
      action(async (name: string, opts: SetOpts & { windows?: boolean }) => {
        // commander turns --no-windows into windows=false.
        const flags: SetOpts = { ...opts, noWindows: opts.windows === false };
        const client = new ApiClient(resolveClientOptions(opts));
        let current: RingView | undefined;
        try {
          current = await client.api.call('get', '/api/v1/rings/{id}', { params: { id: name } });
        } catch (err) {
          if (!(isPfError(err) && err.code === Errors.NOT_FOUND.code)) throw err;
          current = undefined; // a new ring
        }
        const input = ringInputFromFlags(flags, current);
        const ring = current ? await client.api.call('patch', '/api/v1/rings/{id}', { params: { id: name }, body: input }) : await client.api.call('post', '/api/v1/rings', { body: { ...input, name } });
        if (opts.json) printJson(ring);
        else process.stdout.write(`${current ? 'updated' : 'created'} ring ${ring.name} (${ring.id})\n`);
      }),
    );

  connection(group.command('delete').description('delete a ring (refused while hosts are pinned to it or rules use it)').argument('<name>', 'ring name or id')).action(
    action(async (name: string, opts: ConnOpts) => {
      const ring = await new ApiClient(resolveClientOptions(opts)).api.call('delete', '/api/v1/rings/{id}', { params: { id: name } });
      if (opts.json) printJson(ring);
      else process.stdout.write(`deleted ring ${ring.name}\n`);
    }),
  );

  connection(group.command('assign').description('assign every active host to a ring; with --pin HOST --ring NAME, pin one host instead'))
    .option('--pin <host>', 'host id to pin')
    .option('--ring <name>', 'ring to pin the host to')
    .option('--unpin <host>', 'host id to unpin')
    .action(
      action(async (opts: ConnOpts & { pin?: string; ring?: string; unpin?: string }) => {
        const client = new ApiClient(resolveClientOptions(opts));
        if (opts.pin !== undefined || opts.unpin !== undefined) {
          const pinTo = opts.pin !== undefined ? opts.ring : undefined;
          if (opts.pin !== undefined && !pinTo) throw new PfError(Errors.VALIDATION, '--pin needs --ring NAME');
          const hostId = opts.pin ?? opts.unpin ?? '';
          const result = pinTo ? await client.api.call('put', '/api/v1/hosts/{id}/ring', { params: { id: hostId }, body: { ring: pinTo } }) : await client.api.call('delete', '/api/v1/hosts/{id}/ring', { params: { id: hostId } });
          if (opts.json) printJson(result);
          else process.stdout.write(opts.pin !== undefined ? `pinned ${hostId} to ${opts.ring}\n` : `unpinned ${hostId}\n`);
          return;
        }
        const summary = await client.api.call('post', '/api/v1/rings/assign');
        if (opts.json) return printJson(summary);
        printTable(['RING', 'HOSTS'], summary.rings.map((r) => [r.name, String(r.hosts)]));
        process.stdout.write(`${summary.total} hosts: ${summary.reasons.pin} pinned, ${summary.reasons.rule} by rule, ${summary.reasons.auto} automatic\n`);
      }),
    );
}
