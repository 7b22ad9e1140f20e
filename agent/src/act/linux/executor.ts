/**
 * Linux (apt/dpkg) executor: installs exact package versions, records what
 * they replaced, and rolls back to the recorded versions.
 */
import { posix } from 'node:path';
import { systemClock, type Clock } from '@patchfleet/shared/clock';
import { normaliseDpkgRoot } from '../../collect/dpkg-root-path';
import { readOptionalText } from '../../collect/optional-file';
import { runCommand, type CommandResult } from '../../collect/run-command';
import { Errors, PfError, isPfError } from '@patchfleet/shared/errors';
import {
  aptInstallCommand,
  aptMadisonCommand,
  aptRemoveCommand,
  aptUpdateCommand,
  dpkgQueryCommand,
  type Invocation,
  type PackageVersion,
} from './apt-commands';
import { classifyAptFailure, parseDpkgQuery, parseMadison, truncateOutput } from './apt-output';

/** One package change: `from`/`to` are versions, null meaning "not installed". */
export interface Replacement {
  name: string;
  from: string | null;
  to: string | null;
}

/** Outcome of an install or rollback. On failure `error` says why and `output` shows apt's words. */
export interface ExecResult {
  ok: boolean;
  error?: PfError;
  /** Changes made (install) or to be undone later (the caller stores them for rollback). */
  replaced: Replacement[];
  /** The reboot flag (see {@link ExecOptions.rebootRequiredPath}) exists after the run. */
  rebootRequired: boolean;
  /** apt's stdout and stderr, truncated to `maxOutputChars`. */
  output: string;
  exitCode: number | null;
  durationMs: number;
}

/** Options shared by every executor call. */
export interface ExecOptions {
  /** Extra apt `-o` options (argv words), e.g. a private sources list in tests. */
  aptOptions?: readonly string[];
  /** apt.conf-style file given to apt-get and apt-cache as `-c`: private sources, lists, cache. */
  aptConfigFile?: string;
  /**
   * Isolated dpkg root (made by initDpkgRoot) standing in for `/`: packages are
   * installed under it, its database is `<root>/var/lib/dpkg`, and apt keeps its
   * lists, cache and logs there too. Absent: the machine itself.
   */
  dpkgRoot?: string;
  /** apt-get is killed after this long. Killing dpkg mid-run can leave it interrupted: keep it generous. */
  timeoutMs: number;
  /** Seconds apt waits for the dpkg lock held by another process. */
  lockTimeoutSec: number;
  /** Largest output kept in the result (characters). */
  maxOutputChars?: number;
  clock?: Clock;
  /** Where apt hooks flag a needed reboot; default `/var/run/reboot-required`, under `dpkgRoot` when set. */
  rebootRequiredPath?: string;
}

const DEFAULT_MAX_OUTPUT = 64 * 1024;
const QUERY_TIMEOUT_MS = 60_000;
// apt can print a lot (triggers, man-db); the result keeps a truncated copy.
const MAX_BUFFER = 32 * 1024 * 1024;

/** Installed version per name (absent = not installed), read from the real dpkg database or `dpkgRoot`'s. */
export async function installedVersions(names: readonly string[], target: Pick<ExecOptions, 'dpkgRoot'> = {}): Promise<Map<string, string>> {
  const cmd = dpkgQueryCommand(names, target);
  const res = await runCommand(cmd.file, cmd.args, { timeoutMs: QUERY_TIMEOUT_MS, env: cmd.env });
  // Exit 1 only means some names are unknown to dpkg; anything else is a real failure.
  if (res.code !== 0 && res.code !== 1) {
    throw new PfError(Errors.APT_FAILED, `dpkg-query failed (exit ${res.code ?? 'signal'}): ${res.stderr.trim().slice(0, 500)}`);
  }
  return parseDpkgQuery(res.stdout);
}

/** Runs apt-get, turning a kill on timeout into PF_ERR_APT_TIMEOUT. */
async function runApt(cmd: Invocation, opts: ExecOptions): Promise<CommandResult> {
  try {
    return await runCommand(cmd.file, cmd.args, { timeoutMs: opts.timeoutMs, env: cmd.env, maxBuffer: MAX_BUFFER });
  } catch (err) {
    const killed = isPfError(err) && (err.cause as { killed?: boolean } | undefined)?.killed === true;
    if (killed) {
      throw new PfError(Errors.APT_TIMEOUT, `${cmd.file} ${cmd.args.filter((a) => !a.startsWith('-')).slice(0, 3).join(' ')} timed out after ${opts.timeoutMs} ms`, undefined, { cause: err });
    }
    throw err;
  }
}

async function rebootRequired(opts: ExecOptions): Promise<boolean> {
  return (await readOptionalText(rebootFlagPath(opts))) !== undefined;
}

function rebootFlagPath(opts: ExecOptions): string {
  if (opts.rebootRequiredPath !== undefined) return opts.rebootRequiredPath;
  return opts.dpkgRoot !== undefined ? posix.join(normaliseDpkgRoot(opts.dpkgRoot), 'var/run/reboot-required') : '/var/run/reboot-required';
}

/** Runs one apt-get command and shapes the result, classifying a non-zero exit. */
async function runStep(cmd: Invocation, opts: ExecOptions): Promise<{ ok: boolean; error?: PfError; output: string; exitCode: number | null }> {
  const res = await runApt(cmd, opts);
  const output = truncateOutput(`${res.stdout}${res.stderr}`, opts.maxOutputChars ?? DEFAULT_MAX_OUTPUT);
  if (res.code === 0) return { ok: true, output, exitCode: 0 };
  const failure = classifyAptFailure(`${res.stdout}\n${res.stderr}`, res.code);
  return { ok: false, error: new PfError(failure.def, failure.message, { exitCode: res.code }), output, exitCode: res.code };
}

/** Names whose installed version is not the wanted one (null = must be absent). */
function mismatches(wanted: readonly { name: string; version: string | null }[], now: Map<string, string>): string[] {
  return wanted
    .filter((w) => (now.get(w.name) ?? null) !== w.version)
    .map((w) => `${w.name}: wanted ${w.version ?? '(not installed)'}, found ${now.get(w.name) ?? '(not installed)'}`);
}

/** Refreshes the package indexes (apt-get update), limited by `aptOptions` when given. */
export async function updateIndexes(opts: ExecOptions): Promise<ExecResult> {
  const clock = opts.clock ?? systemClock;
  const start = clock.now();
  const step = await runStep(aptUpdateCommand(opts), opts);
  return { ...step, replaced: [], rebootRequired: await rebootRequired(opts), durationMs: clock.now() - start };
}

/**
 * Installs exactly `packages` (the fixed versions a USN names). Records the
 * versions installed before, runs apt-get non-interactively, then checks with
 * dpkg-query that every package is at the requested version. `replaced` lists
 * only the packages that actually changed, ready for {@link rollback}.
 * Failures of apt are returned (`ok: false`, `error`, `output`); a timeout throws.
 */
export async function installPackages(opts: ExecOptions & { packages: readonly PackageVersion[] }): Promise<ExecResult> {
  const { packages } = opts;
  const clock = opts.clock ?? systemClock;
  const start = clock.now();
  const cmd = aptInstallCommand(packages, opts); // validates names and versions first
  const names = packages.map((p) => p.name);
  const before = await installedVersions(names, opts);
  const step = await runStep(cmd, opts);
  const after = await installedVersions(names, opts);
  const replaced = packages
    .map((p) => ({ name: p.name, from: before.get(p.name) ?? null, to: after.get(p.name) ?? null }))
    .filter((r) => r.from !== r.to);
  const result: ExecResult = { ...step, replaced, rebootRequired: await rebootRequired(opts), durationMs: 0 };
  if (result.ok) {
    const wrong = mismatches(packages, after);
    if (wrong.length > 0) {
      result.ok = false;
      result.error = new PfError(Errors.INSTALL_VERIFY_FAILED, `after apt-get: ${wrong.join('; ')}`, { mismatches: wrong });
    }
  }
  result.durationMs = clock.now() - start;
  return result;
}

/**
 * Undoes `replaced` (from {@link installPackages}): packages go back to their
 * `from` version (downgrade allowed) and those that were not installed before
 * are removed. Before changing anything it checks that every `from` version
 * can still be fetched, and throws PF_ERR_ROLLBACK_UNAVAILABLE naming the
 * ones that cannot. Packages already at their `from` state are left alone.
 */
export async function rollback(opts: ExecOptions & { replaced: readonly Replacement[] }): Promise<ExecResult> {
  const { replaced } = opts;
  const clock = opts.clock ?? systemClock;
  const start = clock.now();
  if (replaced.length === 0) {
    return { ok: true, replaced: [], rebootRequired: await rebootRequired(opts), output: '', exitCode: 0, durationMs: clock.now() - start };
  }
  const now = await installedVersions(replaced.map((r) => r.name), opts);
  const pending = replaced.filter((r) => (now.get(r.name) ?? null) !== r.from);
  const reinstall = pending.flatMap((r) => (r.from === null ? [] : [{ name: r.name, version: r.from }]));
  const remove = pending.filter((r) => r.from === null).map((r) => r.name);

  if (reinstall.length > 0) {
    const unavailable = await unfetchable(reinstall, opts);
    if (unavailable.length > 0) {
      throw new PfError(
        Errors.ROLLBACK_UNAVAILABLE,
        `rollback refused, nothing was changed: no configured repository offers ${unavailable.join(', ')}`,
        { unavailable },
      );
    }
  }

  const outputs: string[] = [];
  let last: { ok: boolean; error?: PfError; exitCode: number | null } = { ok: true, exitCode: 0 };
  if (reinstall.length > 0) {
    const step = await runStep(aptInstallCommand(reinstall, { ...opts, allowDowngrades: true }), opts);
    outputs.push(step.output);
    last = step;
  }
  if (last.ok && remove.length > 0) {
    const step = await runStep(aptRemoveCommand(remove, opts), opts);
    outputs.push(step.output);
    last = step;
  }
  const after = await installedVersions(replaced.map((r) => r.name), opts);
  const changed = pending
    .map((r) => ({ name: r.name, from: now.get(r.name) ?? null, to: after.get(r.name) ?? null }))
    .filter((r) => r.from !== r.to);
  const result: ExecResult = {
    ok: last.ok,
    ...(last.error ? { error: last.error } : {}),
    replaced: changed,
    rebootRequired: await rebootRequired(opts),
    output: truncateOutput(outputs.join('\n'), opts.maxOutputChars ?? DEFAULT_MAX_OUTPUT),
    exitCode: last.exitCode,
    durationMs: 0,
  };
  if (result.ok) {
    const wrong = mismatches(pending.map((r) => ({ name: r.name, version: r.from })), after);
    if (wrong.length > 0) {
      result.ok = false;
      result.error = new PfError(Errors.INSTALL_VERIFY_FAILED, `after rollback: ${wrong.join('; ')}`, { mismatches: wrong });
    }
  }
  result.durationMs = clock.now() - start;
  return result;
}

/** `name=version` of each wanted version that no configured repository offers (apt-cache madison). */
async function unfetchable(wanted: readonly PackageVersion[], opts: ExecOptions): Promise<string[]> {
  const cmd = aptMadisonCommand(wanted.map((w) => w.name), opts);
  const res = await runCommand(cmd.file, cmd.args, { timeoutMs: QUERY_TIMEOUT_MS, env: cmd.env, maxBuffer: MAX_BUFFER });
  // madison exits 0 even for unknown names; non-zero means apt itself failed, so we cannot vouch for anything.
  if (res.code !== 0) {
    throw new PfError(Errors.APT_FAILED, `apt-cache madison failed (exit ${res.code ?? 'signal'}): ${res.stderr.trim().slice(0, 500)}`);
  }
  const offered = parseMadison(res.stdout);
  return wanted.filter((w) => offered.get(w.name)?.has(w.version) !== true).map((w) => `${w.name}=${w.version}`);
}
