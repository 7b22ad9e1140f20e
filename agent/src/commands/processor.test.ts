import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { findUnstorable } from '@patchfleet/shared';
import { join } from 'node:path';
import { nodeEd25519, type KeyPair, type SignedCommand } from '@patchfleet/shared';
import { ManualClock } from '@patchfleet/shared/clock';
import { Errors, PfError } from '@patchfleet/shared/errors';
import type { CommandExecutors, ExecOutcome } from './executors';
import { JOURNAL_RETENTION_MS, Journal } from './journal';
import { CommandProcessor, type CommandStatusBody } from './processor';
import { AGENT_ID, HOUR, T0, commandKeyPair, countingExecutors, deferred, makeCommand, memoryLog, signFrame, tempStateDir } from './test-support';

describe('CommandProcessor', () => {
  let stateDir: string;
  let clock: ManualClock;
  let keys: KeyPair;
  let sent: CommandStatusBody[];
  let logged: Record<string, unknown>[];

  const make = (executors: CommandExecutors, over: { send?: (s: CommandStatusBody) => void } = {}) => {
    const { log, records } = memoryLog();
    logged = records;
    return new CommandProcessor({ stateDir, agentId: AGENT_ID, commandKey: keys.publicKey, clock, log, executors, send: over.send ?? ((s) => void sent.push(s)) });
  };
  const states = () => sent.map((s) => `${s.commandId}:${s.state}`);
  const signed = (over: Partial<SignedCommand> = {}) => signFrame(makeCommand(over), keys.secretKey);
  const journalFiles = () => readdirSync(join(stateDir, 'journal')).filter((n) => n !== 'executed-ids').sort();

  beforeEach(() => {
    stateDir = tempStateDir();
    clock = new ManualClock(T0 + 1000);
    keys = commandKeyPair();
    sent = [];
  });
  afterEach(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('runs a valid command exactly once: acknowledged -> running -> succeeded', async () => {
    const exec = countingExecutors();
    const p = make(exec);
    expect(p.receive(signed())).toEqual({ commandId: 'cmd-1', outcome: 'accepted' });
    expect(states()).toEqual(['cmd-1:acknowledged']);
    await p.idle();
    expect(exec.calls).toHaveLength(1);
    expect(exec.calls[0]?.commandId).toBe('cmd-1');
    expect(states()).toEqual(['cmd-1:acknowledged', 'cmd-1:running', 'cmd-1:succeeded']);
    expect(sent[2]).toMatchObject({ result: { exitCode: 0, output: 'done', rebootRequired: false, durationMs: 0 } });
    expect(p.list()).toEqual([expect.objectContaining({ commandId: 'cmd-1', state: 'succeeded', receipted: false })]);
    expect(JSON.parse(readFileSync(join(stateDir, 'journal', 'cmd-1.json'), 'utf8')).state).toBe('succeeded');
  });

  it('sends tool output holding a NUL or an unpaired surrogate as storable text (the controller would refuse it, and the journal repeat it)', async () => {
    const p = make(countingExecutors(async () => ({ ok: true, result: { exitCode: 0, output: 'dpkg: \u0000bad\uD800 name', rebootRequired: false } })));
    p.receive(signed());
    await p.idle();
    const done = sent.find((s) => s.state === 'succeeded');
    expect(done?.result?.output).toBe('dpkg: \uFFFDbad\uFFFD name');
    expect(findUnstorable(sent)).toBeUndefined();
  });

  it('is in the journal as acknowledged before, and running while, the executor runs', async () => {
    let seen: string | undefined;
    const exec = countingExecutors(async () => {
      seen = JSON.parse(readFileSync(join(stateDir, 'journal', 'cmd-1.json'), 'utf8')).state as string;
      return { ok: true, result: {} };
    });
    const p = make(exec);
    p.receive(signed());
    expect(JSON.parse(readFileSync(join(stateDir, 'journal', 'cmd-1.json'), 'utf8')).state).toBe('acknowledged');
    await p.idle();
    expect(seen).toBe('running');
    expect(readFileSync(join(stateDir, 'journal', 'executed-ids'), 'utf8')).toContain('cmd-1 ');
  });

  it('does not run a replayed frame again, logs PF_ERR_COMMAND_REPLAYED and re-sends the status', async () => {
    const exec = countingExecutors();
    const p = make(exec);
    const frame = signed();
    p.receive(frame);
    expect(p.receive(frame).outcome).toBe('replayed'); // while still queued
    await p.idle();
    sent = [];
    expect(p.receive(frame)).toMatchObject({ outcome: 'replayed', error: { code: 'PF_ERR_COMMAND_REPLAYED' } });
    await p.idle();
    expect(exec.calls).toHaveLength(1);
    expect(states()).toEqual(['cmd-1:succeeded']);
    expect(logged.filter((r) => r.code === 'PF_ERR_COMMAND_REPLAYED')).toHaveLength(2);
    expect(logged.find((r) => r.code === 'PF_ERR_COMMAND_REPLAYED')).toMatchObject({ commandId: 'cmd-1', agentId: AGENT_ID });
  });

  it('answers a re-sent command that has since expired with its real outcome, not a refusal', async () => {
    const p = make(countingExecutors());
    const frame = signed();
    p.receive(frame);
    await p.idle();
    clock.advance(2 * HOUR);
    sent = [];
    p.receive(frame);
    expect(states()).toEqual(['cmd-1:succeeded']);
  });

  const refusals: [string, () => ReturnType<typeof signFrame>, string, boolean][] = [
    ['expired', () => signed({ notAfter: T0 + 999 }), 'PF_ERR_COMMAND_EXPIRED', true],
    ['not yet valid', () => signed({ issuedAt: T0 + HOUR, notAfter: T0 + 2 * HOUR }), 'PF_ERR_COMMAND_NOT_YET_VALID', true],
    ["another agent's", () => signed({ agentId: 'agent-2' }), 'PF_ERR_COMMAND_WRONG_AGENT', true],
    ['target altered after signing', () => ({ ...signed(), command: makeCommand({ target: 'USN-9999-1' }) }), 'PF_ERR_COMMAND_BAD_SIGNATURE', false],
    ['params altered after signing', () => ({ ...signed(), command: makeCommand({ params: { packages: [{ name: 'evil', version: '1' }] } }) }), 'PF_ERR_COMMAND_BAD_SIGNATURE', false],
    ['signed by another key', () => signFrame(makeCommand(), nodeEd25519.generateKeyPair().secretKey), 'PF_ERR_COMMAND_BAD_SIGNATURE', false],
    ['params that do not fit', () => signed({ action: 'rollback', params: {} }), 'PF_ERR_COMMAND_BAD_PARAMS', true],
    ['update-agent', () => signed({ action: 'update-agent', params: {} }), 'PF_ERR_COMMAND_UNSUPPORTED', true],
  ];
  for (const [name, frame, code, journaled] of refusals) {
    it(`refuses a command ${name} with ${code} and never runs it`, async () => {
      const exec = countingExecutors();
      const p = make(exec);
      expect(p.receive(frame())).toMatchObject({ outcome: 'refused', error: { code } });
      await p.idle();
      expect(exec.calls).toHaveLength(0);
      expect(sent).toEqual([{ commandId: 'cmd-1', state: 'refused', at: T0 + 1000, error: { code, message: expect.any(String) } }]);
      // Only a refusal with a valid signature is journaled: forgeries cannot fill the disk or block an id.
      expect(journalFiles()).toEqual(journaled ? ['cmd-1.json'] : []);
      expect(readFileSync(join(stateDir, 'journal', 'executed-ids'), 'utf8')).toBe('');
    });
  }

  it('still runs the real command after a forgery used its id', async () => {
    const exec = countingExecutors();
    const p = make(exec);
    p.receive(signFrame(makeCommand(), nodeEd25519.generateKeyPair().secretKey));
    expect(p.receive(signed()).outcome).toBe('accepted');
    await p.idle();
    expect(exec.calls).toHaveLength(1);
  });

  it('a forged frame reusing a known id only re-sends the real status', async () => {
    const exec = countingExecutors();
    const p = make(exec);
    p.receive(signed());
    await p.idle();
    sent = [];
    expect(p.receive({ ...signed(), command: makeCommand({ target: 'other' }) }).outcome).toBe('replayed');
    expect(states()).toEqual(['cmd-1:succeeded']);
    expect(logged.find((r) => r.code === 'PF_ERR_COMMAND_REPLAYED')).toMatchObject({ differs: true, verifyCode: 'PF_ERR_COMMAND_BAD_SIGNATURE' });
    expect(exec.calls).toHaveLength(1);
  });

  it('reports a command interrupted by a crash as failed and never runs it again', async () => {
    // Simulated crash: the journal reached `running` and the process died.
    const journal = Journal.open({ stateDir, clock, log: memoryLog().log });
    const frame = signed();
    journal.record(frame.command, frame.signature, 'acknowledged');
    journal.start('cmd-1');
    clock.advance(60_000);

    const exec = countingExecutors();
    const p = make(exec);
    await p.idle();
    expect(p.list()).toEqual([expect.objectContaining({ state: 'failed', error: expect.objectContaining({ code: 'PF_ERR_COMMAND_INTERRUPTED' }) })]);
    expect(p.resendPending()).toBe(1);
    expect(sent).toEqual([{ commandId: 'cmd-1', state: 'failed', at: T0 + 61_000, error: { code: 'PF_ERR_COMMAND_INTERRUPTED', message: expect.any(String) } }]);
    p.receive(frame); // the controller re-sends it after the reconnect
    await p.idle();
    expect(exec.calls).toHaveLength(0);
    expect(sent.at(-1)).toMatchObject({ state: 'failed', error: { code: 'PF_ERR_COMMAND_INTERRUPTED' } });
  });

  it('runs, once, a command that was acknowledged but had not started before a restart', async () => {
    const journal = Journal.open({ stateDir, clock, log: memoryLog().log });
    const frame = signed();
    journal.record(frame.command, frame.signature, 'acknowledged');
    const exec = countingExecutors();
    const p = make(exec);
    p.receive(frame);
    await p.idle();
    expect(exec.calls).toHaveLength(1);
    expect(p.list()[0]?.state).toBe('succeeded');
    const again = make(exec);
    await again.idle();
    expect(exec.calls).toHaveLength(1);
  });

  it('re-sends unreceipted statuses after a reconnect, and not receipted ones', async () => {
    const exec = countingExecutors();
    const p = make(exec);
    p.receive(signed({ commandId: 'a' }));
    p.receive(signed({ commandId: 'b' }));
    p.receive(signed({ commandId: 'c', agentId: 'agent-2' }));
    await p.idle();
    expect(p.receipted('a')).toBe(true);
    expect(p.receipted('unknown')).toBe(false);
    sent = [];
    expect(p.resendPending()).toBe(2);
    expect(states()).toEqual(['b:succeeded', 'c:refused']);
    // receipts are durable
    sent = [];
    const reopened = make(exec);
    reopened.resendPending();
    expect(states()).toEqual(['b:succeeded', 'c:refused']);
  });

  it('re-sends the current state of a command still running', async () => {
    const gate = deferred<ExecOutcome>();
    const p = make(countingExecutors(() => gate.promise));
    p.receive(signed());
    await new Promise((r) => setTimeout(r, 10));
    sent = [];
    p.resendPending();
    expect(states()).toEqual(['cmd-1:running']);
    gate.resolve({ ok: true, result: {} });
    await p.idle();
  });

  it('survives a damaged journal file and still refuses the id as a replay', async () => {
    const exec = countingExecutors();
    const frame = signed();
    const first = make(exec);
    first.receive(frame);
    await first.idle();
    writeFileSync(join(stateDir, 'journal', 'cmd-1.json'), '\u0000\u0000garbage');

    sent = [];
    const p = make(exec);
    expect(p.list()).toEqual([]);
    expect(existsSync(join(stateDir, 'journal', 'cmd-1.json.damaged-1'))).toBe(true);
    expect(logged.find((r) => r.msg === 'journal: damaged record moved aside')).toMatchObject({ commandId: 'cmd-1', mayHaveRun: true, level: 50 });
    expect(p.receive(frame).outcome).toBe('replayed');
    await p.idle();
    expect(exec.calls).toHaveLength(1);
    expect(sent).toEqual([{ commandId: 'cmd-1', state: 'failed', at: T0 + 1000, error: { code: 'PF_ERR_COMMAND_JOURNAL_DAMAGED', message: expect.any(String) } }]);
  });

  it('runs commands one at a time, first in first out', async () => {
    const events: string[] = [];
    const gates = new Map([['a', deferred<ExecOutcome>()], ['b', deferred<ExecOutcome>()]]);
    const p = make(countingExecutors(async (c) => {
      events.push(`start ${c.commandId}`);
      const out = await gates.get(c.commandId)!.promise;
      events.push(`end ${c.commandId}`);
      return out;
    }));
    p.receive(signed({ commandId: 'a' }));
    p.receive(signed({ commandId: 'b' }));
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['start a']);
    expect(p.list().map((e) => e.state)).toEqual(['running', 'acknowledged']);
    gates.get('b')!.resolve({ ok: true, result: {} });
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['start a']);
    gates.get('a')!.resolve({ ok: false, error: { code: 'PF_ERR_APT_FAILED', message: 'boom' }, result: { exitCode: 100 } });
    await p.idle();
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b']);
    expect(states()).toEqual(['a:acknowledged', 'b:acknowledged', 'a:running', 'a:failed', 'b:running', 'b:succeeded']);
    expect(sent[3]).toMatchObject({ error: { code: 'PF_ERR_APT_FAILED', message: 'boom' }, result: { exitCode: 100 } });
  });

  it('turns a thrown error into failed with its PfError code, or PF_ERR_COMMAND_FAILED', async () => {
    const p = make(countingExecutors(async (c) => {
      if (c.commandId === 'a') throw new PfError(Errors.APT_LOCKED, 'lock held');
      throw new Error('bug');
    }));
    p.receive(signed({ commandId: 'a' }));
    p.receive(signed({ commandId: 'b' }));
    await p.idle();
    expect(p.list().map((e) => [e.commandId, e.state, e.error?.code])).toEqual([
      ['a', 'failed', 'PF_ERR_APT_LOCKED'],
      ['b', 'failed', 'PF_ERR_COMMAND_FAILED'],
    ]);
  });

  it('keeps statuses within the wire limits whatever the executor returns', async () => {
    const p = make(countingExecutors(async () => ({ ok: false, error: { code: 'apt broke', message: 'x'.repeat(5000) }, result: { output: 'y'.repeat(70_000), extra: 1 } as never })));
    p.receive(signed());
    await p.idle();
    const last = sent.at(-1)!;
    expect(last.error?.code).toBe('PF_ERR_COMMAND_FAILED');
    expect(last.error?.message.length).toBeLessThanOrEqual(2048);
    expect(last.result?.output?.length).toBeLessThanOrEqual(65_536);
    expect(Object.keys(last.result ?? {}).sort()).toEqual(['durationMs', 'output']);
  });

  it('refuses with PF_ERR_COMMAND_EXPIRED a command whose window passed while it waited in the queue', async () => {
    const gate = deferred<ExecOutcome>();
    const exec = countingExecutors(() => gate.promise);
    const p = make(exec);
    p.receive(signed({ commandId: 'a' }));
    p.receive(signed({ commandId: 'b' }));
    await new Promise((r) => setTimeout(r, 10));
    clock.advance(2 * HOUR);
    gate.resolve({ ok: true, result: {} });
    await p.idle();
    expect(exec.calls.map((c) => c.commandId)).toEqual(['a']);
    expect(p.list().map((e) => [e.commandId, e.state, e.error?.code])).toEqual([
      ['a', 'succeeded', undefined],
      ['b', 'refused', 'PF_ERR_COMMAND_EXPIRED'],
    ]);
  });

  it('keeps working when sending fails (offline)', async () => {
    const exec = countingExecutors();
    const p = make(exec, { send: () => { throw new Error('socket closed'); } });
    p.receive(signed({ commandId: 'a' }));
    await p.idle();
    const q = make(exec, { send: () => Promise.reject(new Error('socket closed')) });
    q.receive(signed({ commandId: 'b' }));
    await q.idle();
    expect(exec.calls).toHaveLength(2);
    expect(q.list().map((e) => e.state)).toEqual(['succeeded', 'succeeded']);
  });

  it('prunes receipted records 7 days after their notAfter', async () => {
    const p = make(countingExecutors());
    p.receive(signed({ commandId: 'a' }));
    p.receive(signed({ commandId: 'b' }));
    await p.idle();
    p.receipted('a');
    clock.advance(HOUR + JOURNAL_RETENTION_MS - 1000); // now = notAfter + 7 days
    expect(make(countingExecutors()).list().map((e) => e.commandId)).toEqual(['a', 'b']); // not yet: exactly 7 days
    clock.advance(1);
    p.resendPending(); // long-running agents prune on each reconnect too
    expect(journalFiles()).toEqual(['b.json']);
    expect(make(countingExecutors()).list().map((e) => e.commandId)).toEqual(['b']);
  });
});
