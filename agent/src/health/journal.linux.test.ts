import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyJournal, journalUnreadable, journalWindowArgs, MESSAGE_ID_COREDUMP, parseJournalJson } from './journal.linux';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
// The fixture's entries run from 02:01:00 to 02:05:00 UTC on 2025-12-06.
const WINDOW = { from: 1_764_986_400_000, to: 1_764_986_700_000 };

describe('journalctl arguments', () => {
  it('asks for JSON lines of the window (a second wider), bounded, only coredump, unit failure and kernel warning-or-worse entries', () => {
    const args = journalWindowArgs({ from: 1_764_986_400_500, to: 1_764_986_700_000 });
    expect(args.slice(0, 3)).toEqual(['--no-pager', '-o', 'json']);
    expect(args).toContain('--since');
    expect(args[args.indexOf('--since') + 1]).toBe('@1764986399');
    expect(args[args.indexOf('--until') + 1]).toBe('@1764986701');
    expect(args[args.indexOf('-n') + 1]).toBe('5000');
    expect(args).toContain(`MESSAGE_ID=${MESSAGE_ID_COREDUMP}`);
    expect(args.slice(-9)).toEqual(['+', 'SYSLOG_IDENTIFIER=systemd-coredump', '+', '_TRANSPORT=kernel', 'PRIORITY=0', 'PRIORITY=1', 'PRIORITY=2', 'PRIORITY=3', 'PRIORITY=4']);
  });
});

describe('parseJournalJson', () => {
  it('reads every entry, byte-array fields as UTF-8, and skips a cut line', () => {
    const text = `${fixture('journal-window.jsonl')}{"__REALTIME_TIMESTAMP":"17649867`;
    const entries = parseJournalJson(text);
    expect(entries).toHaveLength(10);
    expect(entries[0]?.bootId).toBe('6f3c1d2e9a8b4c7d8e9f0a1b2c3d4e5f');
    expect(entries.at(-1)?.fields.MESSAGE).toMatch(/^general protection fault ip: /);
  });
});

describe('classifyJournal', () => {
  const found = classifyJournal(parseJournalJson(fixture('journal-window.jsonl')), WINDOW);

  it('counts one kernel crash for the lines of one oops', () => {
    expect(found.kernelCrashes).toEqual([{ kind: 'kernel-crash', at: 1_764_986_460_100, subject: 'kernel', message: 'BUG: kernel NULL pointer dereference, address: 0000000000000008' }]);
  });

  it('counts the coredump with its executable and signal', () => {
    expect(found.appCrashes).toEqual([{ kind: 'app-crash', at: 1_764_986_580_000, subject: '/usr/sbin/nginx', message: 'Process 2304 (nginx) of user 33 dumped core. (SIGSEGV)' }]);
  });

  it('counts failures of system units only (not a user session unit)', () => {
    expect(found.serviceFailures.map((e) => e.subject)).toEqual(['nginx.service', 'postgresql@15-main.service']);
    expect(found.serviceFailures[0]?.message).toBe("nginx.service: Failed with result 'core-dump'.");
  });

  it('leaves out entries outside [from, to): the general protection fault at `to` belongs to the next window', () => {
    const next = classifyJournal(parseJournalJson(fixture('journal-window.jsonl')), { from: WINDOW.to, to: WINDOW.to + 300_000 });
    expect(next.kernelCrashes).toHaveLength(1);
    expect(next.appCrashes).toHaveLength(0);
    expect(next.serviceFailures).toHaveLength(0);
  });

  it('finds nothing in an empty answer (no events, not unreadable)', () => {
    expect(classifyJournal(parseJournalJson(''), WINDOW)).toEqual({ appCrashes: [], kernelCrashes: [], serviceFailures: [], entries: 0 });
  });
});

describe('journalUnreadable', () => {
  it('tells a missing or unreadable journal from an empty window', () => {
    expect(journalUnreadable('No journal files were found.\n')).toBe('no journal files were found');
    expect(journalUnreadable("Hint: You are currently not seeing messages from other users and the system.\n      Users in groups 'adm', 'systemd-journal' can see all messages.\n")).toMatch(/not readable/);
    expect(journalUnreadable('')).toBeUndefined();
  });
});
