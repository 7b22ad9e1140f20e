/**
 * update-agent: replaces this agent's executable with a signed newer
 * release and hands over to it, keeping the old one to put back.
 *
 * 1. Downloads the metadata named by the command from the controller
 *    (pinned certificate) and verifies it with the release key pinned at
 *    build time: signature, expiry, newer than this agent, the version the
 *    command names (PF_ERR_RELEASE_SIGNATURE/EXPIRED/DOWNGRADE).
 * 2. Downloads this platform's file into `<state-dir>/update/` and checks
 *    size and SHA-256 against the signed entry (PF_ERR_RELEASE_HASH).
 * 3. Copies it beside the executable (`<exe>.new`, same filesystem, 0755),
 *    then swaps with two renames: `<exe>` -> `<exe>.prev`, `<exe>.new` -> `<exe>`.
 * 4. Writes pending.json, closes its link, starts the new executable with
 *    the same arguments (detached) and waits up to `confirmWithinSec` for
 *    its confirmation (written once the new agent's session is healthy).
 * 5. Confirmed: this process exits 0 (the new agent finishes the command in
 *    the shared journal). Otherwise (the new one exited, or time ran out):
 *    kills it, renames `<exe>.prev` back, reconnects, and reports
 *    PF_ERR_UPDATE_REVERTED.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, SignedCommand } from '@patchfleet/shared';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { UPDATE_CONFIRM_SEC } from '@patchfleet/shared/protocol';
import { compareAgentVersions, releaseFileFor, verifyReleaseMetadata, type ReleasePlatform } from '@patchfleet/shared/release';
import type { Logger } from 'pino';
import type { ExecOutcome } from '../commands/executors';
import { downloadFile, downloadText, type DownloadSource } from './download';
import { clearConfirmation, clearPending, ensureUpdateDir, readConfirmation, writePending } from './pending';

/** Metadata larger than this is refused unread. */
const MAX_METADATA_BYTES = 64 * 1024;
const POLL_MS = 250;

export interface UpdateExecutorOptions {
  stateDir: string;
  source: DownloadSource;
  /** The release public key pinned at build time (base64). */
  releaseKey: string;
  runningVersion: string;
  platform: ReleasePlatform;
  /** The running executable (process.execPath of a single executable). */
  exePath: string;
  /** Arguments the new executable is started with (this process's own). */
  args: readonly string[];
  clock: Clock;
  log: Logger;
  /** Closes the link and stops collecting (the new agent takes the identity over). */
  suspend(): Promise<void>;
  /** Reconnects after a revert. */
  resume(): void;
  /** Ends this process once the new agent confirmed. */
  exit(code: number): void;
}

/** The update-agent executor. */
export function updateAgentExecutor(opts: UpdateExecutorOptions): (command: SignedCommand) => Promise<ExecOutcome> {
  return async (command) => {
    const started = opts.clock.now();
    const p = command.params;
    if (!p.version || !p.manifest) throw new PfError(Errors.BAD_INPUT, 'update-agent needs params.version and params.manifest');
    const log = opts.log.child({ commandId: command.commandId, to: p.version, from: opts.runningVersion });
    // Cheap refusal first; the signed metadata is checked again below and is what counts.
    if (compareAgentVersions(p.version, opts.runningVersion) <= 0) {
      throw new PfError(Errors.RELEASE_DOWNGRADE, `release ${p.version} is not newer than the running agent ${opts.runningVersion}`);
    }
    const text = await downloadText(opts.source, p.manifest, MAX_METADATA_BYTES);
    const signed = verifyReleaseMetadata(text, { publicKey: opts.releaseKey, now: opts.clock.now(), runningVersion: opts.runningVersion, expectedVersion: p.version });
    const file = releaseFileFor(signed, opts.platform);
    if ((p.file && p.file !== file.name) || (p.sha256 && p.sha256 !== file.sha256)) {
      throw new PfError(Errors.RELEASE_HASH, `the command names ${p.file ?? '?'} ${p.sha256 ?? ''}, the signed metadata ${file.name} ${file.sha256}`);
    }

    const dir = ensureUpdateDir(opts.stateDir);
    const staged = join(dir, `staged-${signed.version}`);
    rmSync(staged, { force: true });
    const got = await downloadFile(opts.source, file.name, staged, file.size);
    if (got.size !== file.size || got.sha256 !== file.sha256) {
      rmSync(staged, { force: true });
      throw new PfError(Errors.RELEASE_HASH, `${file.name}: ${got.size} bytes, SHA-256 ${got.sha256}; the signed metadata says ${file.size} bytes, ${file.sha256}`);
    }
    log.info({ file: file.name, size: file.size }, 'agent release downloaded and verified');

    const exe = opts.exePath;
    const prev = `${exe}.prev`;
    const next = `${exe}.new`;
    try {
      copyFileSync(staged, next);
      chmodSync(next, 0o755);
      rmSync(prev, { force: true });
      renameSync(exe, prev);
    } catch (err) {
      rmSync(next, { force: true });
      throw new PfError(Errors.UPDATE_FAILED, `cannot stage ${next}: ${(err as Error).message}`);
    }
    try {
      renameSync(next, exe);
    } catch (err) {
      renameSync(prev, exe);
      rmSync(next, { force: true });
      throw new PfError(Errors.UPDATE_FAILED, `cannot put the new executable in place: ${(err as Error).message}`);
    }
    rmSync(staged, { force: true });

    const confirmWithinSec = p.confirmWithinSec ?? UPDATE_CONFIRM_SEC.default;
    const deadline = opts.clock.now() + confirmWithinSec * 1000;
    clearConfirmation(opts.stateDir);
    writePending(opts.stateDir, { from: opts.runningVersion, to: signed.version, commandId: command.commandId, deadline, exe });
    await opts.suspend();
    log.info({ exe, confirmWithinSec }, 'starting the new agent; waiting for it to confirm a healthy session');

    let child: ChildProcess | undefined;
    let exited: string | undefined;
    try {
      child = spawn(exe, [...opts.args], { detached: true, stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
      child.on('exit', (code, signal) => (exited = signal ? `killed by ${signal}` : `exited with code ${code}`));
      child.on('error', (err) => (exited = `could not start: ${err.message}`));
    } catch (err) {
      exited = `could not start: ${(err as Error).message}`;
    }
    while (exited === undefined && opts.clock.now() < deadline && !readConfirmation(opts.stateDir, command.commandId)) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    if (readConfirmation(opts.stateDir, command.commandId)) {
      log.info({ pid: child?.pid }, 'the new agent confirmed; this one exits');
      child?.unref();
      opts.exit(0);
      // Under test the exit port may return: the new agent reports the outcome, never this process.
      return await new Promise<ExecOutcome>(() => undefined);
    }

    const why = exited ?? `did not confirm a healthy session within ${confirmWithinSec} s`;
    log.error({ reason: why }, 'the new agent failed: putting the old one back');
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child?.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
    try {
      rmSync(exe, { force: true });
      renameSync(prev, exe);
    } catch (err) {
      log.error({ err: (err as Error).message, exe, prev }, 'cannot put the old executable back');
    }
    clearPending(opts.stateDir);
    opts.resume();
    return {
      ok: false,
      error: { code: Errors.UPDATE_REVERTED.code, message: `agent ${signed.version} ${why}; ${opts.runningVersion} was put back` },
      result: { durationMs: opts.clock.now() - started },
    };
  };
}

