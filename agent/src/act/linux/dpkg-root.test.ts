/**
 * Real apt/dpkg with isolated dpkg roots: two roots made by initDpkgRoot get
 * installs from a local repository (test/support/apt-repo) concurrently, and
 * the machine's own dpkg database must never see the package. This is how
 * several agents on one machine each patch their own "host". Needs root.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLocalAptRepo, type LocalAptRepo } from '@patchfleet/test/support/apt-repo';
import { collectInventory } from '../../collect/index';
import { initDpkgRoot } from './dpkg-root';
import { installPackages, rollback, updateIndexes, type ExecOptions } from './executor';

// Not pf-test-hello: executor.test.ts installs that into the real database in parallel.
const PKG = 'pf-test-iso';
let repo: LocalAptRepo | undefined;
let base = '';
let rootA = '';
let rootB = '';

const optsFor = (dpkgRoot: string): ExecOptions => ({ aptConfigFile: repo!.aptConfigFile, dpkgRoot, timeoutMs: 60_000, lockTimeoutSec: 30 });

/** `name version` of every installed package in a root, read by dpkg-query itself. */
function rootPackages(root: string): string[] {
  const out = execFileSync('dpkg-query', [`--admindir=${join(root, 'var/lib/dpkg')}`, '-W', '-f=${db:Status-Status} ${Package} ${Version}\\n'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.startsWith('installed ')).map((l) => l.slice('installed '.length));
}

/** Whether the machine's own dpkg database knows the test package in any state. */
function inRealDatabase(): boolean {
  try {
    execFileSync('dpkg-query', ['-W', PKG], { stdio: 'pipe' });
    return true;
  } catch (err) {
    // Exit 1: no such package. Anything else (dpkg-query missing, a crash) must fail the test.
    if ((err as { status?: number }).status === 1) return false;
    throw err;
  }
}

/**
 * Holds a dpkg-style (fcntl) write lock on `file` in a child process until it
 * is killed. perl is Essential on Debian; the struct flock layout is that of
 * LP64 Linux (x86_64, arm64).
 */
async function holdLock(file: string): Promise<ChildProcess> {
  const script = 'use Fcntl; open(my $fh, "+<", $ARGV[0]) or die "open: $!"; '
    + 'my $lk = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0); fcntl($fh, F_SETLK, $lk) or die "lock: $!"; '
    + '$| = 1; print "held\\n"; sleep 120;';
  const child = spawn('perl', ['-e', script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('held')) resolve(); });
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) {
    throw new Error('dpkg-root.test.ts runs apt-get and dpkg: run it as root (CI does)');
  }
  expect(inRealDatabase(), `${PKG} is in the machine's dpkg database: remove it (dpkg --purge ${PKG})`).toBe(false);
  repo = buildLocalAptRepo({ packageName: PKG, versions: ['1.0', '2.0'] });
  base = mkdtempSync(join(tmpdir(), 'pf-roots-'));
  rootA = await initDpkgRoot(join(base, 'a'));
  rootB = await initDpkgRoot(join(base, 'b'));
  // Both roots fetch the lists at once with one config file: each keeps its own lists (and lock).
  const updates = await Promise.all([updateIndexes(optsFor(rootA)), updateIndexes(optsFor(rootB))]);
  for (const u of updates) expect(u.ok, u.output).toBe(true);
}, 60_000);

afterAll(() => {
  repo?.cleanup();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('isolated dpkg roots', () => {
  it('initDpkgRoot makes an empty database and is idempotent', async () => {
    expect(rootPackages(rootA)).toEqual([]);
    writeFileSync(join(rootB, 'var/lib/dpkg/marker'), 'x');
    expect(await initDpkgRoot(`${rootB}/`)).toBe(rootB);
    expect(readFileSync(join(rootB, 'var/lib/dpkg/marker'), 'utf8')).toBe('x');
    rmSync(join(rootB, 'var/lib/dpkg/marker'));
    expect(readFileSync(join(rootB, 'etc/debconf.conf'), 'utf8')).toContain('Filename: /var/cache/debconf/config.dat');
  });

  it('installs into two roots concurrently, never into the machine', async () => {
    const [a, b] = await Promise.all([
      (async () => {
        const one = await installPackages({ ...optsFor(rootA), packages: [{ name: PKG, version: '1.0' }] });
        const two = await installPackages({ ...optsFor(rootA), packages: [{ name: PKG, version: '2.0' }] });
        return [one, two] as const;
      })(),
      installPackages({ ...optsFor(rootB), packages: [{ name: PKG, version: '1.0' }] }),
    ]);
    expect(a[0].ok, a[0].output).toBe(true);
    expect(a[0].replaced).toEqual([{ name: PKG, from: null, to: '1.0' }]);
    expect(a[1].ok, a[1].output).toBe(true);
    expect(a[1].replaced).toEqual([{ name: PKG, from: '1.0', to: '2.0' }]);
    expect(b.ok, b.output).toBe(true);
    expect(b.replaced).toEqual([{ name: PKG, from: null, to: '1.0' }]);
    // The machine's debconf must not be touched: its hook runs against the root's.
    expect(b.output).not.toMatch(/No config file found|debconf.*locked/);

    expect(rootPackages(rootA)).toEqual([`${PKG} 2.0`]);
    expect(rootPackages(rootB)).toEqual([`${PKG} 1.0`]);
    expect(readFileSync(join(rootA, repo!.versionFile), 'utf8')).toBe('2.0\n');
    expect(readFileSync(join(rootB, repo!.versionFile), 'utf8')).toBe('1.0\n');
    expect(inRealDatabase()).toBe(false);
    expect(existsSync(join('/', repo!.versionFile))).toBe(false);
    // apt's and dpkg's logs of the run stay in the root.
    expect(readFileSync(join(rootA, 'var/log/dpkg.log'), 'utf8')).toContain(`${PKG}:all 1.0 2.0`);
    expect(existsSync(join(rootA, 'var/log/apt/history.log'))).toBe(true);
  });

  it('waits only for its own root\'s lock', async () => {
    const holder = await holdLock(join(rootB, 'var/lib/dpkg/lock-frontend'));
    try {
      const blocked = await installPackages({ ...optsFor(rootB), lockTimeoutSec: 0, packages: [{ name: PKG, version: '2.0' }] });
      expect(blocked.ok).toBe(false);
      expect(blocked.error?.code).toBe('PF_ERR_APT_LOCKED');
      expect(blocked.error?.message).toContain(rootB);
      // Root A proceeds at once although B is locked (a no-op install still takes the locks).
      const free = await installPackages({ ...optsFor(rootA), lockTimeoutSec: 0, packages: [{ name: PKG, version: '2.0' }] });
      expect(free.ok, free.output).toBe(true);
      expect(free.replaced).toEqual([]);
    } finally {
      holder.kill();
    }
    expect(rootPackages(rootB)).toEqual([`${PKG} 1.0`]);
  });

  it('reads the reboot flag inside the root', async () => {
    const none = await rollback({ ...optsFor(rootA), replaced: [] });
    expect(none.rebootRequired).toBe(false);
    writeFileSync(join(rootA, 'var/run/reboot-required'), '*** System restart required ***\n');
    try {
      expect((await rollback({ ...optsFor(rootA), replaced: [] })).rebootRequired).toBe(true);
      expect((await rollback({ ...optsFor(rootB), replaced: [] })).rebootRequired).toBe(false);
    } finally {
      rmSync(join(rootA, 'var/run/reboot-required'));
    }
  });

  it('rolls root A back from 2.0 to 1.0, leaving root B alone', async () => {
    const back = await rollback({ ...optsFor(rootA), replaced: [{ name: PKG, from: '1.0', to: '2.0' }] });
    expect(back.ok, back.output).toBe(true);
    expect(back.replaced).toEqual([{ name: PKG, from: '2.0', to: '1.0' }]);
    expect(rootPackages(rootA)).toEqual([`${PKG} 1.0`]);
    expect(readFileSync(join(rootA, repo!.versionFile), 'utf8')).toBe('1.0\n');
    expect(rootPackages(rootB)).toEqual([`${PKG} 1.0`]);
    expect(inRealDatabase()).toBe(false);
  });

  it('collectInventory({ dpkgRoot }) lists exactly the root\'s packages, with the machine\'s host facts', async () => {
    const inv = await collectInventory({ dpkgRoot: rootA });
    expect(inv.packages).toEqual([{ name: PKG, version: '1.0', sourceName: PKG, sourceVersion: '1.0', arch: 'all', manager: 'dpkg' }]);
    expect(inv.host.packageManagers).toEqual(['dpkg']);
    expect(inv.host.hostname).toBe(execFileSync('hostname', { encoding: 'utf8' }).trim());
    await expect(collectInventory({ dpkgRoot: 'relative/root' })).rejects.toThrow(/dpkg root must be an absolute path/);
  });
});
