/**
 * The hand-over between two agent processes sharing one state directory,
 * without executables: the old processor runs update-agent (its executor
 * blocks, as the real one waits for the new process), the new one starts on
 * probation (the command is not interrupted, nothing else runs) and
 * finishes the command once it confirms.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@patchfleet/shared/clock';
import type { KeyPair } from '@patchfleet/shared';
import { CommandProcessor, type CommandStatusBody } from '../commands/processor';
import type { CommandExecutors } from '../commands/executors';
import { AGENT_ID, T0, commandKeyPair, countingExecutors, makeCommand, memoryLog, signFrame, tempStateDir } from '../commands/test-support';
import { UpdateCandidate } from './candidate';
import { readConfirmation, readPending, writePending } from './pending';

describe('update-agent hand-over', () => {
  let stateDir: string;
  let clock: ManualClock;
  let keys: KeyPair;
  let sent: CommandStatusBody[];

  const processor = (executors: CommandExecutors, over: { inheritRunning?: string; hold?: boolean } = {}) =>
    new CommandProcessor({ stateDir, agentId: AGENT_ID, commandKey: keys.publicKey, clock, log: memoryLog().log, executors, send: (s) => void sent.push(s), ...over });
  const update = makeCommand({ commandId: 'cmd-up', action: 'update-agent', target: 'patchfleet-agent 0.2.0', params: { version: '0.2.0', manifest: 'agent-release.json' } });

  beforeEach(() => {
    stateDir = tempStateDir();
    clock = new ManualClock(T0 + 1000);
    keys = commandKeyPair();
    sent = [];
  });
  afterEach(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('refuses update-agent with PF_ERR_COMMAND_UNSUPPORTED when this agent has no update executor (the bundle, the sources)', () => {
    const out = processor(countingExecutors()).receive(signFrame(update, keys.secretKey));
    expect(out.outcome).toBe('refused');
    expect(out.error?.code).toBe('PF_ERR_COMMAND_UNSUPPORTED');
    expect(out.error?.message).toMatch(/single executable/);
  });

  it('the new process finishes the command the old one left running, and runs nothing before it confirmed', async () => {
    // Old process: update-agent starts and its executor never returns (the process exits once the new one confirmed).
    const old = processor({ ...countingExecutors(), updateAgent: () => new Promise(() => undefined) });
    old.receive(signFrame(update, keys.secretKey));
    // An install arrives behind it and stays queued.
    old.receive(signFrame(makeCommand({ commandId: 'cmd-next' }), keys.secretKey));
    await new Promise((r) => setTimeout(r, 20));
    expect(old.list().map((e) => `${e.commandId}:${e.state}`)).toEqual(['cmd-next:acknowledged', 'cmd-up:running']);
    writePending(stateDir, { from: '0.1.0', to: '0.2.0', commandId: 'cmd-up', deadline: T0 + 300_000, exe: '/opt/agent' });

    // New process (0.2.0) on probation.
    const { log } = memoryLog();
    const candidate = UpdateCandidate.atStart(stateDir, '0.2.0', log, () => clock.now());
    expect(candidate?.pending.commandId).toBe('cmd-up');
    const exec = countingExecutors();
    sent = [];
    const fresh = processor(exec, { inheritRunning: 'cmd-up', hold: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(fresh.list().map((e) => `${e.commandId}:${e.state}`)).toEqual(['cmd-next:acknowledged', 'cmd-up:running']);
    expect(exec.calls).toEqual([]);

    candidate?.confirm(fresh);
    expect(readConfirmation(stateDir, 'cmd-up')).toMatchObject({ version: '0.2.0' });
    expect(readPending(stateDir)).toBeUndefined();
    await fresh.idle();
    expect(sent.map((s) => `${s.commandId}:${s.state}`)).toEqual(['cmd-up:succeeded', 'cmd-next:running', 'cmd-next:succeeded']);
    expect(sent[0]?.result?.output).toBe('patchfleet-agent updated from 0.1.0 to 0.2.0');
    expect(exec.calls.map((c) => c.commandId)).toEqual(['cmd-next']);
  });

  it('without probation a restart reports the left-running update interrupted, and a pending update for another version is cleared', async () => {
    const old = processor({ ...countingExecutors(), updateAgent: () => new Promise(() => undefined) });
    old.receive(signFrame(update, keys.secretKey));
    await new Promise((r) => setTimeout(r, 20));
    writePending(stateDir, { from: '0.1.0', to: '0.2.0', commandId: 'cmd-up', deadline: T0 + 300_000, exe: '/opt/agent' });
    // The old version starts again (the new one never took).
    expect(UpdateCandidate.atStart(stateDir, '0.1.0', memoryLog().log, () => clock.now())).toBeUndefined();
    expect(existsSync(join(stateDir, 'update', 'pending.json'))).toBe(false);
    const again = processor(countingExecutors());
    expect(again.list()[0]).toMatchObject({ commandId: 'cmd-up', state: 'failed', error: { code: 'PF_ERR_COMMAND_INTERRUPTED' } });
  });
});
