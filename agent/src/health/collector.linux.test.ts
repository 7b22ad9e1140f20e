import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { collectBoot } from '../collect/boot.linux';
import { runCommand, type CommandResult } from '../collect/run-command';
import { JOURNAL_ALIVE_ARGS, linuxHealthCollector, type RunFn } from './collector.linux';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const WINDOW = { from: 1_764_986_400_000, to: 1_764_986_700_000 };
const ok = (stdout: string, stderr = ''): CommandResult => ({ stdout, stderr, code: 0 });

/** A host answering from the fixtures (mocked commands: unit test of the collector's logic). */
function fixtureHost(overrides: { journal?: (args: readonly string[]) => CommandResult; systemctl?: () => CommandResult } = {}): { run: RunFn; calls: string[][] } {
  const calls: string[][] = [];
  let looks = 0;
  const run: RunFn = (file, args) => {
    calls.push([file, ...args]);
    if (file === 'journalctl') {
      if (overrides.journal) return Promise.resolve(overrides.journal(args));
      if (args.includes('--boot=0')) return Promise.resolve(ok(fixture('journal-window.jsonl').split('\n').slice(-2).join('\n')));
      if (args.includes('--list-boots')) return Promise.resolve(ok(fixture('list-boots.json')));
      if (args.includes('-b')) return Promise.resolve(ok(fixture(args.includes('1b2c3d4e5f60718293a4b5c6d7e8f90a') ? 'journal-boot-tail-crashed.jsonl' : 'journal-boot-tail-clean.jsonl')));
      return Promise.resolve(ok(fixture('journal-window.jsonl')));
    }
    if (file === 'systemctl') {
      if (overrides.systemctl) return Promise.resolve(overrides.systemctl());
      if (args.includes('--state=failed')) return Promise.resolve(ok(fixture('systemctl-failed.txt')));
      if (args[0] === 'list-units') return Promise.resolve(ok(fixture('systemctl-services.txt')));
      looks++;
      // The second look finds ssh restarted twice more (nginx's restarts match its journal failure).
      return Promise.resolve(ok(looks === 1 ? fixture('systemctl-show-nrestarts.txt') : fixture('systemctl-show-nrestarts.txt').replace('NRestarts=1', 'NRestarts=3').replace('nginx.service\nNRestarts=3', 'nginx.service\nNRestarts=4')));
    }
    return Promise.reject(new PfError(Errors.COLLECT_FAILED, `${file}: unexpected`));
  };
  return { run, calls };
}

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function crashDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'pf-var-crash-'));
  const inWindow = join(dir, '_usr_bin_python3.12.0.crash');
  writeFileSync(inWindow, fixture('apport-head.crash'));
  utimesSync(inWindow, new Date(1_764_986_581_000), new Date(1_764_986_581_000));
  const sameAsCoredump = join(dir, '_usr_sbin_nginx.33.crash');
  writeFileSync(sameAsCoredump, 'ProblemType: Crash\nExecutablePath: /usr/sbin/nginx\n');
  utimesSync(sameAsCoredump, new Date(1_764_986_585_000), new Date(1_764_986_585_000));
  const older = join(dir, '_usr_bin_old.0.crash');
  writeFileSync(older, 'ProblemType: Crash\nExecutablePath: /usr/bin/old\n');
  utimesSync(older, new Date(1_764_900_000_000), new Date(1_764_900_000_000));
  return dir;
}

describe('linuxHealthCollector', () => {
  it('counts every kind from journald, units and /var/crash without counting one crash twice', async () => {
    const host = fixtureHost();
    const collect = linuxHealthCollector({ run: host.run, crashDir: crashDir(), bootTime: () => Promise.resolve(1_764_986_400_000), bootId: () => Promise.resolve('6f3c1d2e9a8b4c7d8e9f0a1b2c3d4e5f') });
    const first = await collect(WINDOW);
    expect(first.unavailable).toEqual([]);
    expect(first.counters).toEqual({ appCrashes: 2, kernelCrashes: 1, serviceFailures: 2, unexpectedShutdowns: 1 });
    expect(first.events.map((e) => e.kind)).toEqual(['service-failure', 'app-crash', 'service-failure', 'app-crash', 'kernel-crash', 'unexpected-shutdown']);
    expect(first.events.map((e) => e.at)).toEqual([...first.events.map((e) => e.at)].sort((a, b) => b - a));
    expect(first.events.find((e) => e.kind === 'app-crash' && e.subject === '/usr/bin/python3.12')?.message).toBe('_usr_bin_python3.12.0.crash (SIGSEGV)');
    // The previous boot's tail was read by its id, bounded.
    expect(host.calls).toContainEqual(['journalctl', '--no-pager', '-o', 'json', '--output-fields=MESSAGE,MESSAGE_ID,SYSLOG_IDENTIFIER', '-b', '1b2c3d4e5f60718293a4b5c6d7e8f90a', '-n', '300']);

    // Next window: journald has nothing new; the units show ssh restarted twice (nginx once more, as its journal failure did not say).
    const next = await collect({ from: WINDOW.to + 300_000, to: WINDOW.to + 600_000 });
    expect(next.counters).toEqual({ appCrashes: 0, kernelCrashes: 0, serviceFailures: 3, unexpectedShutdowns: 0 });
    expect(next.events.map((e) => e.subject).sort()).toEqual(['nginx.service', 'ssh.service', 'ssh.service']);
  });

  it('reads the boot table of an older journalctl that refuses --list-boots -o json', async () => {
    const host = fixtureHost();
    const run: RunFn = (file, args, opts) => {
      if (args.includes('--list-boots')) return Promise.resolve(args.includes('json') ? { stdout: '', stderr: 'Invalid option', code: 1 } : ok(fixture('list-boots.txt')));
      return host.run(file, args, opts);
    };
    const collect = linuxHealthCollector({ run, crashDir: crashDir(), bootTime: () => Promise.resolve(WINDOW.from), bootId: () => Promise.resolve('b') });
    const got = await collect(WINDOW);
    expect(got.unavailable).toEqual([]);
    expect(got.counters.unexpectedShutdowns).toBe(1);
  });

  it('does not look for shutdowns when the running boot began before the window', async () => {
    const host = fixtureHost();
    const collect = linuxHealthCollector({ run: host.run, crashDir: crashDir(), bootTime: () => Promise.resolve(WINDOW.from - 3_600_000), bootId: () => Promise.resolve('b') });
    expect((await collect(WINDOW)).counters.unexpectedShutdowns).toBe(0);
    expect(host.calls.some((c) => c.includes('--list-boots'))).toBe(false);
  });

  it('reports every source unavailable, with no counters, on a host without journald, systemd or /var/crash', async () => {
    const host = fixtureHost({
      journal: () => {
        throw new PfError(Errors.COLLECT_FAILED, 'journalctl: spawn journalctl ENOENT');
      },
      systemctl: () => ({ stdout: '', stderr: "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n", code: 1 }),
    });
    const warnings: string[] = [];
    const collect = linuxHealthCollector({ run: host.run, crashDir: '/nonexistent/var/crash', bootTime: () => Promise.resolve(0), bootId: () => Promise.resolve(''), warn: (m) => warnings.push(m) });
    expect(await collect(WINDOW)).toEqual({ counters: {}, unavailable: ['journald', 'units', 'var-crash'], events: [] });
    expect(warnings.join('\n')).toMatch(/ENOENT/);
  });

  it('a host without journal files (journalctl prints nothing, exit 0, no message) has journald unavailable, not a quiet window', async () => {
    const crashes = crashDir();
    const host = fixtureHost({ journal: () => ok('') });
    const collect = linuxHealthCollector({ run: host.run, crashDir: crashes, bootTime: () => Promise.resolve(0), bootId: () => Promise.resolve('b') });
    const got = await collect(WINDOW);
    expect(got.unavailable).toContain('journald');
    expect(got.counters.kernelCrashes).toBeUndefined();
    expect(got.counters.unexpectedShutdowns).toBeUndefined();
    expect(host.calls[0]).toEqual(['journalctl', ...JOURNAL_ALIVE_ARGS]);
    // The same host with a live journal but a quiet window: 0, and journald not listed.
    const quiet = fixtureHost({ journal: (args) => ok(args.includes('--boot=0') ? fixture('journal-window.jsonl').split('\n')[0] ?? '' : '') });
    const got2 = await linuxHealthCollector({ run: quiet.run, crashDir: crashes, bootTime: () => Promise.resolve(0), bootId: () => Promise.resolve('b') })(WINDOW);
    expect(got2.unavailable).not.toContain('journald');
    expect(got2.counters).toMatchObject({ kernelCrashes: 0, unexpectedShutdowns: 0 });
  });

  it('an unreadable journal leaves its counters absent while /var/crash still counts app crashes', async () => {
    const host = fixtureHost({ journal: () => ok('', 'No journal files were found.\n') });
    const collect = linuxHealthCollector({ run: host.run, crashDir: crashDir(), bootTime: () => Promise.resolve(0), bootId: () => Promise.resolve('b') });
    const got = await collect(WINDOW);
    // units: a first look without journald has no baseline, so it cannot speak for this window either.
    expect(got.unavailable).toEqual(['journald', 'units']);
    expect(got.counters).toEqual({ appCrashes: 2 });
    const later = await collect({ from: WINDOW.to, to: WINDOW.to + 300_000 });
    expect(later.unavailable).toEqual(['journald']);
    expect(later.counters).toEqual({ appCrashes: 0, serviceFailures: 3 });
  });

  it('a new boot whose predecessor is not in the journal (volatile journal) leaves unexpected shutdowns unknown', async () => {
    const onlyCurrent = JSON.stringify([{ index: 0, boot_id: '6f3c1d2e9a8b4c7d8e9f0a1b2c3d4e5f', first_entry: 1_764_986_400_000_000, last_entry: 1_764_986_700_000_000 }]);
    const host = fixtureHost();
    const run: RunFn = (file, args, opts) => (args.includes('--list-boots') ? Promise.resolve(ok(onlyCurrent)) : host.run(file, args, opts));
    const collect = linuxHealthCollector({ run, crashDir: crashDir(), bootTime: () => Promise.resolve(WINDOW.from), bootId: () => Promise.resolve('b') });
    const got = await collect(WINDOW);
    expect(got.unavailable).toEqual(['journald']);
    expect(got.counters.unexpectedShutdowns).toBeUndefined();
    expect(got.counters.kernelCrashes).toBe(1);
  });

  it('on this machine (real commands): each source is either read or named unavailable, never a silent 0', async () => {
    const boot = () => collectBoot(() => Date.now(), () => undefined);
    const collect = linuxHealthCollector({ bootTime: async () => (await boot()).bootTime, bootId: async () => (await boot()).bootId, timeoutMs: 20_000 });
    const now = Date.now();
    const got = await collect({ from: now - 300_000, to: now });
    // Where journalctl shows nothing of the running boot (this build machine has no journal files), journald is unavailable.
    const alive = await runCommand('journalctl', JOURNAL_ALIVE_ARGS, { timeoutMs: 20_000 }).catch(() => undefined);
    if (!alive || alive.code !== 0 || alive.stdout.trim() === '') expect(got.unavailable).toContain('journald');
    const down = (...sources: string[]) => sources.every((x) => got.unavailable.includes(x as never));
    // Absent only with its sources named...
    if (got.counters.kernelCrashes === undefined || got.counters.unexpectedShutdowns === undefined) expect(down('journald')).toBe(true);
    if (got.counters.appCrashes === undefined) expect(down('journald', 'var-crash')).toBe(true);
    if (got.counters.serviceFailures === undefined) expect(down('journald', 'units')).toBe(true);
    // ...and never a number when every source behind it is unavailable.
    if (down('journald', 'var-crash')) expect(got.counters.appCrashes).toBeUndefined();
    if (down('journald', 'units')) expect(got.counters.serviceFailures).toBeUndefined();
  });
});
