import { describe, expect, it } from 'vitest';
import { commandIdOfFile, entryFileName } from './journal-entry';

describe('journal file names', () => {
  it('keeps lower-case ids as they are and escapes the rest reversibly', () => {
    expect(entryFileName('cmd-1_a.b')).toBe('cmd-1_a.b.json');
    expect(entryFileName('A:b')).toBe('%41%3Ab.json');
    expect(entryFileName('con')).toBe('%63on.json');
    expect(entryFileName('lpt1.x')).toBe('%6Cpt1.x.json');
    for (const id of ['cmd-1', 'A:b', 'con', 'Cmd', 'x'.repeat(64), 'Z'.repeat(64), '..', 'lpt1.x']) {
      expect(commandIdOfFile(entryFileName(id))).toBe(id);
    }
  });

  it('never maps two ids that differ only in case to one file', () => {
    expect(entryFileName('abc').toLowerCase()).not.toBe(entryFileName('ABC').toLowerCase());
  });

  it('refuses ids outside the wire pattern and names that are not records', () => {
    expect(() => entryFileName('../etc/passwd')).toThrow();
    expect(() => entryFileName('')).toThrow();
    expect(() => entryFileName('x'.repeat(65))).toThrow();
    for (const name of ['executed-ids', 'cmd-1.json.damaged-1', 'Cmd.json', 'con.json', '%2F.json', 'cmd-1.json.123.tmp', '.json']) {
      expect(commandIdOfFile(name)).toBeUndefined();
    }
  });
});
