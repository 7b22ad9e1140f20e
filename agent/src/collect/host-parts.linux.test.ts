import { describe, it, expect } from 'vitest';
import { parseBtime } from './boot.linux';
import { cleanDmiValue } from './hardware.linux';
import { toLoggedInUsers } from './users.linux';

describe('parseBtime', () => {
  it('finds the btime line of /proc/stat', () => {
    expect(parseBtime('cpu  1 2 3\nintr 5\nctxt 99\nbtime 1795406837\nprocesses 12\n')).toBe(1795406837);
    expect(parseBtime('cpu 1 2 3\n')).toBeUndefined();
  });
});

describe('cleanDmiValue', () => {
  it('turns firmware placeholders into empty strings and trims real values', () => {
    expect(cleanDmiValue('To Be Filled By O.E.M.')).toBe('');
    expect(cleanDmiValue('Default string\n')).toBe('');
    expect(cleanDmiValue('-')).toBe('');
    expect(cleanDmiValue(undefined)).toBe('');
    expect(cleanDmiValue(' Dell Inc.\n')).toBe('Dell Inc.');
    expect(cleanDmiValue('5CD1234XYZ')).toBe('5CD1234XYZ');
  });
});

describe('toLoggedInUsers', () => {
  it('maps who rows, with login time as UTC ISO from local time', () => {
    const users = toLoggedInUsers([
      { user: 'alice', tty: 'pts/0', date: '2025-03-01', time: '09:15', ip: '203.0.113.9', command: 'bash' },
      { user: 'bob', tty: 'tty1', date: '', time: '', ip: '', command: '' },
      { user: '', tty: 'pts/9', date: '', time: '', ip: '', command: '' },
    ]);
    expect(users).toEqual([
      { user: 'alice', tty: 'pts/0', host: '203.0.113.9', loginAt: new Date(2025, 2, 1, 9, 15).toISOString() },
      { user: 'bob', tty: 'tty1' },
    ]);
  });
});
