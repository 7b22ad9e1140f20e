/**
 * Windows executor: installs updates by KB (Windows Update Agent) or from a
 * .msu/.cab file (wusa.exe, dism.exe), uninstalls by KB (wusa.exe, or DISM
 * for the LCU of a combined SSU+LCU package), and restarts per policy.
 *
 * Results have the Linux executor's shape so the controller's journal treats
 * both alike. `replaced` convention on Windows: one entry per KB (or, when a
 * package file names no KB, per file name), `from`/`to` being `'installed'`
 * or null (absent): install `{ name: 'KB5072033', from: null, to: 'installed' }`,
 * uninstall `{ name: 'KB5072033', from: 'installed', to: null }`. Nothing
 * changed (already installed, not installed) is an empty list. An install
 * that completes at restart is still `'installed'`, with `rebootRequired`.
 *
 * Every program runs through an injectable ExecFn (tests feed fixture output
 * and exit codes); the default is the collectors' nodeExec. Failures that
 * Windows reports are returned (`ok: false`, `error`); a timeout or a program
 * that cannot start throws, as on Linux.
 */
import { systemClock, type Clock } from '@patchfleet/shared/clock';
import { nodeExec, runPowerShell, type ExecFn, type InvocationOptions } from '../../collect/windows/powershell';
import { kbFromTitle } from '../../collect/windows/update-history';
import { Errors, PfError, isPfError } from '@patchfleet/shared/errors';
import type { ExecResult } from '../linux/executor';
import { truncateOutput } from '../linux/apt-output';
import { assertBuild, parseDismPackageTable, pickRollupPackage } from './dism-packages';
import { describeExitCode, exitCodeLabel, outcomeError, type ExitCodeInfo } from './exit-codes';
import { parseKb } from './kb';
import { assertPackagePath, packageFileName } from './package-path';
import { shutdownCommand } from './reboot-command';
import {
  dismAddPackageCommand,
  dismGetPackagesCommand,
  dismRemovePackageCommand,
  wusaInstallCommand,
  wusaUninstallCommand,
  type ToolInvocation,
} from './servicing-commands';
import { toolOutputText } from './tool-output';
import { buildWuaInstallScript } from './wua-script';
import { parseWuaInstallJson, wuaVerdict } from './wua-result';

export type { Replacement } from '../linux/executor';

/** The Linux ExecResult, plus whether Windows has already begun restarting (exit 1641). */
export interface WindowsExecResult extends ExecResult {
  rebootInitiated: boolean;
}

/** Options shared by every Windows executor call. */
export interface WindowsExecOptions extends InvocationOptions {
  /**
   * Each program is killed after this long. Windows servicing goes on in
   * TrustedInstaller regardless, so a kill only stops the agent waiting: keep
   * it generous (a cumulative update takes tens of minutes).
   */
  timeoutMs: number;
  /** Largest output kept in the result (characters). */
  maxOutputChars?: number;
  clock?: Clock;
  /** Runs a program; default the collectors' nodeExec. */
  exec?: ExecFn;
}

const DEFAULT_MAX_OUTPUT = 64 * 1024;
const MAX_BUFFER = 32 * 1024 * 1024;

interface ToolRun {
  /** `> command line` then stdout and stderr, for the result's output. */
  output: string;
  stdout: string;
  exitCode: number | null;
}

function commandLine(inv: ToolInvocation): string {
  return `> ${packageFileName(inv.file)} ${inv.args.join(' ')}`;
}

/** Runs one tool; throws on timeout or when it cannot run, returns its output and exit code otherwise. */
async function runTool(inv: ToolInvocation, opts: WindowsExecOptions): Promise<ToolRun> {
  const exec = opts.exec ?? nodeExec;
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  const r = await exec(inv.file, inv.args, { timeoutMs: opts.timeoutMs, maxBufferBytes: MAX_BUFFER, env });
  const tool = packageFileName(inv.file);
  const details = { file: inv.file, args: inv.args };
  if (r.timedOut) throw new PfError(Errors.WINDOWS_UPDATE_TIMEOUT, `${tool} did not finish within ${opts.timeoutMs} ms`, details);
  if (r.failure !== undefined) throw new PfError(Errors.WINDOWS_UPDATE_FAILED, `${tool} could not run: ${r.failure}`, details);
  const stdout = toolOutputText(r.stdout, `${tool} stdout`);
  const stderr = toolOutputText(r.stderr, `${tool} stderr`);
  const output = [commandLine(inv), stdout.trimEnd(), stderr.trimEnd()].filter((s) => s !== '').join('\n');
  return { output, stdout, exitCode: r.exitCode };
}

/** The error for a failed exit code, naming the tool, the code and DISM's last "Error:" line when there is one. */
function exitError(info: ExitCodeInfo, what: string, run: ToolRun): PfError {
  const said = run.output.split('\n').find((l) => /^\s*(Error|Fehler)\b/i.test(l))?.trim();
  const def = outcomeError(info.outcome) ?? Errors.WINDOWS_UPDATE_FAILED;
  return new PfError(def, `${what} failed with exit code ${exitCodeLabel(info)}${said ? `: ${said}` : ''}`, { exitCode: info.code, outcome: info.outcome });
}

function finish(
  opts: WindowsExecOptions,
  start: number,
  parts: Omit<WindowsExecResult, 'durationMs' | 'output'> & { outputs: string[] },
): WindowsExecResult {
  const clock = opts.clock ?? systemClock;
  const { outputs, ...rest } = parts;
  return { ...rest, output: truncateOutput(outputs.join('\n'), opts.maxOutputChars ?? DEFAULT_MAX_OUTPUT), durationMs: clock.now() - start };
}

/**
 * Installs every applicable update carrying `kb` (`KB5072033`) through the
 * Windows Update Agent (Windows Update, WSUS or whatever the host's policy
 * points at), via the script of wua-script.ts. Not offered to this host:
 * PF_ERR_WINDOWS_UPDATE_NOT_FOUND; already installed: ok with nothing
 * replaced. `exitCode` is powershell.exe's (0); WUA's HRESULT is in the error
 * message and `output` (the script's JSON).
 */
export async function installKb(opts: WindowsExecOptions & { kb: string }): Promise<WindowsExecResult> {
  const clock = opts.clock ?? systemClock;
  const start = clock.now();
  const kb = parseKb(opts.kb);
  let stdout: string;
  try {
    stdout = await runPowerShell(buildWuaInstallScript(kb.text), {
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.processArch ? { processArch: opts.processArch } : {}),
      ...(opts.exec ? { exec: opts.exec } : {}),
      timeoutMs: opts.timeoutMs,
    });
  } catch (err) {
    if (isPfError(err) && err.details?.['timedOut'] === true) {
      throw new PfError(Errors.WINDOWS_UPDATE_TIMEOUT, `Windows Update install of ${kb.text} did not finish within ${opts.timeoutMs} ms`, err.details, { cause: err });
    }
    throw err;
  }
  const report = parseWuaInstallJson(stdout);
  if (report.kb !== null && report.kb !== kb.number) {
    throw new PfError(Errors.BAD_INPUT, `Windows Update install result is for KB${report.kb}, not ${kb.text}`);
  }
  const verdict = wuaVerdict(report, kb.text);
  return finish(opts, start, {
    ok: verdict.ok,
    ...(verdict.error ? { error: new PfError(verdict.error.def, verdict.error.message, { hresult: report.hresult, stage: report.stage }) } : {}),
    replaced: verdict.installed ? [{ name: kb.text, from: null, to: 'installed' }] : [],
    rebootRequired: report.rebootRequired,
    rebootInitiated: false,
    outputs: [stdout.trim()],
    exitCode: 0,
  });
}

/**
 * Installs a package file: a .msu with wusa.exe (default) or DISM, a .cab
 * with DISM. `path` must be an absolute Windows path (PF_ERR_BAD_INPUT
 * otherwise). The KB in `replaced` is read from the file name
 * (`windows11.0-kb5072033-x64_....msu`); without one the file name is used.
 */
export async function installMsu(opts: WindowsExecOptions & { path: string; method?: 'wusa' | 'dism' }): Promise<WindowsExecResult> {
  const clock = opts.clock ?? systemClock;
  const start = clock.now();
  const kind = assertPackagePath(opts.path);
  const method = opts.method ?? (kind === 'msu' ? 'wusa' : 'dism');
  const inv = method === 'wusa' ? wusaInstallCommand(opts.path, opts) : dismAddPackageCommand(opts.path, opts);
  const run = await runTool(inv, opts);
  const info = describeExitCode(run.exitCode);
  const file = packageFileName(opts.path);
  const changed = info.ok && info.outcome !== 'already-installed';
  return finish(opts, start, {
    ok: info.ok,
    ...(info.ok ? {} : { error: exitError(info, `${method === 'wusa' ? 'wusa.exe' : 'dism.exe /Add-Package'} of ${file}`, run) }),
    replaced: changed ? [{ name: kbFromTitle(file) ?? file, from: null, to: 'installed' }] : [],
    rebootRequired: info.rebootRequired,
    rebootInitiated: info.rebootInitiated,
    outputs: [run.output],
    exitCode: run.exitCode,
  });
}

/**
 * Uninstalls `kb` with `wusa.exe /uninstall`. When wusa says the KB is not
 * installed or not applicable, and `build` (the OS build the KB brought,
 * `26100.4946`) is given, the KB may be the LCU of a combined SSU+LCU
 * package, which wusa cannot remove: the installed
 * `Package_for_RollupFix~...~<build>.*` package is then removed with DISM, as
 * Microsoft documents. No such package either: nothing to do, ok. Without
 * `build` that case fails with PF_ERR_WINDOWS_UNINSTALL_UNSUPPORTED rather
 * than report a removal that may not have happened.
 */
export async function uninstallKb(opts: WindowsExecOptions & { kb: string; build?: string }): Promise<WindowsExecResult> {
  const clock = opts.clock ?? systemClock;
  const start = clock.now();
  const kb = parseKb(opts.kb);
  if (opts.build !== undefined) assertBuild(opts.build);
  const removed = [{ name: kb.text, from: 'installed', to: null }];

  const wusa = await runTool(wusaUninstallCommand(kb.text, opts), opts);
  const info = describeExitCode(wusa.exitCode);
  const outputs = [wusa.output];
  const fromExit = (i: ExitCodeInfo, what: string, run: ToolRun): WindowsExecResult =>
    finish(opts, start, {
      ok: i.ok,
      ...(i.ok ? {} : { error: exitError(i, what, run) }),
      replaced: i.ok ? removed : [],
      rebootRequired: i.rebootRequired,
      rebootInitiated: i.rebootInitiated,
      outputs,
      exitCode: run.exitCode,
    });
  if (info.outcome !== 'not-installed' && info.outcome !== 'not-applicable') return fromExit(info, `wusa.exe /uninstall of ${kb.text}`, wusa);

  if (opts.build === undefined) {
    return finish(opts, start, {
      ok: false,
      error: new PfError(
        Errors.WINDOWS_UNINSTALL_UNSUPPORTED,
        `wusa.exe does not find ${kb.text} installed (exit code ${exitCodeLabel(info)}); if it came in a combined SSU+LCU package, give the OS build it brought so its LCU package can be removed with DISM`,
        { exitCode: info.code },
      ),
      replaced: [],
      rebootRequired: false,
      rebootInitiated: false,
      outputs,
      exitCode: wusa.exitCode,
    });
  }

  const list = await runTool(dismGetPackagesCommand(opts), opts);
  outputs.push(list.output);
  const listInfo = describeExitCode(list.exitCode);
  if (listInfo.outcome !== 'succeeded') return fromExit({ ...listInfo, ok: false }, 'dism.exe /Get-Packages', list);
  const pkg = pickRollupPackage(parseDismPackageTable(list.stdout), opts.build);
  if (pkg === undefined) {
    outputs.push(`No installed Package_for_RollupFix for build ${opts.build}: ${kb.text} is not installed.`);
    return finish(opts, start, { ok: true, replaced: [], rebootRequired: false, rebootInitiated: false, outputs, exitCode: list.exitCode });
  }
  const remove = await runTool(dismRemovePackageCommand(pkg.name, opts), opts);
  outputs.push(remove.output);
  return fromExit(describeExitCode(remove.exitCode), `dism.exe /Remove-Package of ${pkg.name} (${kb.text})`, remove);
}

/**
 * Restarts the host with shutdown.exe after `delaySec` seconds, recorded as
 * a planned hot-fix restart (see reboot-command.ts), when a signed reboot
 * command says so (the controller applies the ring's reboot policy). A
 * restart already in progress or scheduled counts as success.
 */
export async function restartHost(opts: WindowsExecOptions & { delaySec: number; reason: string }): Promise<WindowsExecResult> {
  const clock = opts.clock ?? systemClock;
  const start = clock.now();
  const run = await runTool(shutdownCommand(opts.delaySec, opts.reason, opts), opts);
  const info = describeExitCode(run.exitCode);
  const ok = info.outcome === 'succeeded' || info.outcome === 'reboot-initiated';
  return finish(opts, start, {
    ok,
    ...(ok ? {} : { error: exitError(info, 'shutdown.exe /r', run) }),
    replaced: [],
    rebootRequired: false,
    rebootInitiated: ok,
    outputs: [run.output],
    exitCode: run.exitCode,
  });
}
