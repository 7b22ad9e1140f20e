import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '@patchfleet/shared/clock';
import { JOURNAL_RETENTION_MS, Journal } from './journal';
import { HOUR, T0, makeCommand, memoryLog, tempStateDir } from './test-support';

describe('Journal', () => {
  let stateDir: string;
  let clock: ManualClock;
  const open = () => Journal.open({ stateDir, clock, log: memoryLog().log });
  const file = (id: string) => join(stateDir, 'journal', `${id}.json`);

  beforeEach(() => {
    stateDir = tempStateDir();
    clock = new ManualClock(T0);
  });
  afterEach(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('writes one 0600 JSON file per command through its states', () => {
    const journal = open();
    journal.record(makeCommand(), 'c2ln', 'acknowledged');
    expect(JSON.parse(readFileSync(file('cmd-1'), 'utf8'))).toMatchObject({ v: 1, commandId: 'cmd-1', state: 'acknowledged', receivedAt: T0, stateAt: T0, receipted: false, signature: 'c2ln' });
    expect(statSync(file('cmd-1')).mode & 0o777).toBe(0o600);
    clock.advance(5);
    journal.start('cmd-1');
    expect(readFileSync(join(stateDir, 'journal', 'executed-ids'), 'utf8')).toBe(`cmd-1 ${T0 + HOUR}\n`);
    expect(JSON.parse(readFileSync(file('cmd-1'), 'utf8'))).toMatchObject({ state: 'running', startedAt: T0 + 5 });
    clock.advance(5);
    journal.finish('cmd-1', 'succeeded', undefined, { exitCode: 0 });
    expect(journal.markReceipted('cmd-1')).toBe(true);
    const reopened = open().get('cmd-1');
    expect(reopened).toMatchObject({ state: 'succeeded', stateAt: T0 + 10, finishedAt: T0 + 10, result: { exitCode: 0 }, receipted: true, receiptedAt: T0 + 10 });
  });

  it('turns a record left in running into failed PF_ERR_COMMAND_INTERRUPTED on open', () => {
    const journal = open();
    journal.record(makeCommand(), 'c2ln', 'acknowledged');
    journal.start('cmd-1');
    clock.advance(1000);
    const entry = open().get('cmd-1');
    expect(entry).toMatchObject({ state: 'failed', stateAt: T0 + 1000, error: { code: 'PF_ERR_COMMAND_INTERRUPTED' }, receipted: false });
    expect(JSON.parse(readFileSync(file('cmd-1'), 'utf8')).state).toBe('failed');
  });

  it('treats acknowledged + ledger line (crash between the two fsyncs of start) as interrupted', () => {
    const journal = open();
    journal.record(makeCommand(), 'c2ln', 'acknowledged');
    writeFileSync(join(stateDir, 'journal', 'executed-ids'), `cmd-1 ${T0 + HOUR}\n`);
    expect(open().get('cmd-1')).toMatchObject({ state: 'failed', error: { code: 'PF_ERR_COMMAND_INTERRUPTED' } });
  });

  it('leaves a plain acknowledged record as it is (it never started)', () => {
    open().record(makeCommand(), 'c2ln', 'acknowledged');
    expect(open().get('cmd-1')?.state).toBe('acknowledged');
  });

  it('moves damaged records aside, numbered, and keeps going', () => {
    const { log, records } = memoryLog();
    const journal = Journal.open({ stateDir, clock, log });
    journal.record(makeCommand(), 'c2ln', 'acknowledged');
    journal.record(makeCommand({ commandId: 'cmd-2' }), 'c2ln', 'acknowledged');
    writeFileSync(file('cmd-1'), '{"v":1,"commandId":"cmd-1","comm');
    writeFileSync(file('cmd-2'), JSON.stringify({ v: 1, commandId: 'cmd-1' }));
    writeFileSync(join(stateDir, 'journal', 'cmd-1.json.damaged-1'), 'older');
    writeFileSync(join(stateDir, 'journal', 'cmd-3.json.4242.tmp'), 'torn');
    const reopened = Journal.open({ stateDir, clock, log });
    expect(reopened.list()).toEqual([]);
    expect(readdirSync(join(stateDir, 'journal')).sort()).toEqual(['cmd-1.json.damaged-1', 'cmd-1.json.damaged-2', 'cmd-2.json.damaged-1', 'executed-ids']);
    expect(records.filter((r) => r.msg === 'journal: damaged record moved aside').map((r) => r.commandId).sort()).toEqual(['cmd-1', 'cmd-2']);
  });

  it('prunes receipted records more than 7 days past notAfter, and nothing else', () => {
    const journal = open();
    const ids = ['receipted-old', 'unreceipted-old', 'receipted-recent'];
    for (const commandId of ids) {
      journal.record(makeCommand({ commandId, notAfter: commandId.endsWith('recent') ? T0 + 2 * HOUR : T0 + HOUR }), 'c2ln', 'acknowledged');
      journal.start(commandId);
      journal.finish(commandId, 'succeeded');
    }
    journal.markReceipted('receipted-old');
    journal.markReceipted('receipted-recent');
    journal.record(makeCommand({ commandId: 'refused-recent', notAfter: T0 + 2 * HOUR }), 'c2ln', 'refused', { code: 'PF_ERR_COMMAND_WRONG_AGENT', message: 'x' });
    journal.markReceipted('refused-recent');
    clock.advance(HOUR + JOURNAL_RETENTION_MS + 1);
    const reopened = open();
    expect(reopened.list().map((e) => e.commandId).sort()).toEqual(['receipted-recent', 'refused-recent', 'unreceipted-old']);
    expect(existsSync(file('receipted-old'))).toBe(false);
    expect(existsSync(file('unreceipted-old'))).toBe(true);
    // the ledger forgets them too: expiry refuses a replay from now on
    expect(reopened.mayHaveRun('receipted-old')).toBe(false);
  });

  it('ignores a receipt for an unknown or unfinished command', () => {
    const journal = open();
    expect(journal.markReceipted('nope')).toBe(false);
    journal.record(makeCommand(), 'c2ln', 'acknowledged');
    expect(journal.markReceipted('cmd-1')).toBe(false);
    expect(journal.get('cmd-1')?.receipted).toBe(false);
  });
});
