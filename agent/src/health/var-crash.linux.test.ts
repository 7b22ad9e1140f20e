import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crashSignal, crashSubject, dedupeCrashFiles } from './var-crash.linux';

const head = readFileSync(join(import.meta.dirname, 'fixtures', 'apport-head.crash'), 'utf8');

describe('/var/crash files', () => {
  it('names the program from ExecutablePath, or from the file name', () => {
    expect(crashSubject('_usr_bin_python3.12.0.crash', head)).toBe('/usr/bin/python3.12');
    expect(crashSubject('_usr_sbin_nginx.0.crash', undefined)).toBe('/usr/sbin/nginx');
    expect(crashSignal(head)).toBe('SIGSEGV');
  });

  it('counts a crash file once when a coredump of the same program is close in time', () => {
    const coredumps = [{ kind: 'app-crash' as const, at: 1000, subject: '/usr/sbin/nginx' }];
    const files = [
      { kind: 'app-crash' as const, at: 30_000, subject: '/usr/sbin/nginx' },
      { kind: 'app-crash' as const, at: 40_000, subject: '/usr/sbin/nginx' },
      { kind: 'app-crash' as const, at: 500_000, subject: '/usr/bin/python3.12' },
    ];
    expect(dedupeCrashFiles(files, coredumps).map((f) => f.at)).toEqual([40_000, 500_000]);
  });
});
