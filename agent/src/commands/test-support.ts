/**
 * Helpers for the command tests: a real Ed25519 command key, signed frames,
 * a log that can be read back and executors that count their calls.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandSigningPayload, nodeEd25519, signCanonical, type KeyPair, type SignedCommand } from '@patchfleet/shared';
import pino, { type Logger } from 'pino';
import type { CommandExecutors, ExecOutcome } from './executors';
import type { CommandEnvelope } from './verify';

/** Start of the manual clock in tests: 2025-11-24. */
export const T0 = 1_764_000_000_000;
export const AGENT_ID = 'agent-1';
export const HOUR = 3_600_000;

/** A fresh controller command key pair. */
export function commandKeyPair(): KeyPair {
  return nodeEd25519.generateKeyPair();
}

/** A valid install command for {@link AGENT_ID}, issued at T0, valid one hour. */
export function makeCommand(over: Partial<SignedCommand> = {}): SignedCommand {
  return {
    commandId: 'cmd-1',
    agentId: AGENT_ID,
    action: 'install',
    target: 'USN-7604-1',
    params: { packages: [{ name: 'openssl', version: '3.0.13-0ubuntu3.5' }] },
    issuedAt: T0,
    notAfter: T0 + HOUR,
    ...over,
  };
}

/** Signs `command` the way the controller does. */
export function signFrame(command: SignedCommand, secretKey: string): CommandEnvelope {
  return { command, signature: signCanonical(commandSigningPayload(command), secretKey) };
}

/** A pino logger whose records are kept in `records`. */
export function memoryLog(): { log: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, records };
}

export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'pf-commands-'));
}

/** Executors that record each call and answer with `outcome` (or what `impl` returns). */
export function countingExecutors(impl?: (command: SignedCommand) => Promise<ExecOutcome>): CommandExecutors & { calls: SignedCommand[] } {
  const calls: SignedCommand[] = [];
  const run = async (command: SignedCommand): Promise<ExecOutcome> => {
    calls.push(command);
    return impl ? impl(command) : { ok: true, result: { exitCode: 0, output: 'done', rebootRequired: false } };
  };
  return { calls, install: run, rollback: run, reboot: run };
}

/** A promise with its resolve function outside. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
