import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXECUTED_IDS_FILE, ExecutedIds } from './executed-ids';
import { T0, memoryLog, tempStateDir } from './test-support';

describe('ExecutedIds', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempStateDir();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the ledger and remembers ids across reopen', () => {
    const { log } = memoryLog();
    const ledger = ExecutedIds.open(dir, 0, log);
    expect(statSync(join(dir, EXECUTED_IDS_FILE)).mode & 0o777).toBe(0o600);
    ledger.add('cmd-1', T0);
    expect(ledger.has('cmd-1')).toBe(true);
    expect(readFileSync(join(dir, EXECUTED_IDS_FILE), 'utf8')).toBe(`cmd-1 ${T0}\n`);
    expect(ExecutedIds.open(dir, 0, log).has('cmd-1')).toBe(true);
  });

  it('drops a torn last line so the next append starts on its own line', () => {
    const { log, records } = memoryLog();
    writeFileSync(join(dir, EXECUTED_IDS_FILE), `cmd-1 ${T0}\ncmd-2 17`);
    const ledger = ExecutedIds.open(dir, 0, log);
    expect(ledger.has('cmd-1')).toBe(true);
    expect(ledger.has('cmd-2')).toBe(false);
    ledger.add('cmd-3', T0);
    expect(readFileSync(join(dir, EXECUTED_IDS_FILE), 'utf8')).toBe(`cmd-1 ${T0}\ncmd-3 ${T0}\n`);
    expect(records.some((r) => r.msg === 'executed-ids: torn last line dropped')).toBe(true);
  });

  it('prunes lines of long-expired commands and keeps lines whose expiry cannot be read', () => {
    const { log } = memoryLog();
    writeFileSync(join(dir, EXECUTED_IDS_FILE), `old ${T0 - 10}\nnew ${T0 + 10}\nodd ???\n`);
    const ledger = ExecutedIds.open(dir, T0, log);
    expect([ledger.has('old'), ledger.has('new'), ledger.has('odd')]).toEqual([false, true, true]);
    expect(readFileSync(join(dir, EXECUTED_IDS_FILE), 'utf8')).not.toContain('old');
  });
});
