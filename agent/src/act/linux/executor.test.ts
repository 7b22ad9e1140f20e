/**
 * Real apt/dpkg: builds a local flat repository with two versions of a tiny
 * package and installs, upgrades and rolls back on this machine's dpkg
 * database. apt only sees the private sources list and lists/cache dirs of
 * the repository's apt config file (test/support/apt-repo), so the machine's
 * own sources are untouched; the package is purged afterwards. Needs root
 * (CI runs as root).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLocalAptRepo, type LocalAptRepo } from '@patchfleet/test/support/apt-repo';
import { isPfError } from '@patchfleet/shared/errors';
import { installedVersions, installPackages, rollback, updateIndexes, type ExecOptions } from './executor';

const PKG = 'pf-test-hello';
let repo: LocalAptRepo | undefined;
let opts: ExecOptions;

function purge(): void {
  execFileSync('dpkg', ['--purge', PKG], { stdio: 'pipe', env: { ...process.env, LC_ALL: 'C' } });
}

async function installedVersion(): Promise<string | undefined> {
  return (await installedVersions([PKG])).get(PKG);
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) {
    throw new Error('executor.test.ts installs packages with apt-get and dpkg: run it as root (CI does)');
  }
  purge(); // a leftover from an interrupted run would falsify "fresh install"
  repo = buildLocalAptRepo({ packageName: PKG, versions: ['1.0', '2.0'] });
  opts = {
    aptConfigFile: repo.aptConfigFile,
    timeoutMs: 60_000,
    lockTimeoutSec: 30,
    rebootRequiredPath: join(repo.dir, 'reboot-required'),
  };
  const update = await updateIndexes(opts);
  expect(update.ok, update.output).toBe(true);
}, 60_000);

afterAll(() => {
  if (process.getuid?.() !== 0) return;
  purge();
  repo?.cleanup();
});

describe('Linux executor against a local apt repository', () => {
  let freshInstall: Awaited<ReturnType<typeof installPackages>>['replaced'] = [];

  it('installs 1.0 on a host without the package', async () => {
    const res = await installPackages({ ...opts, packages: [{ name: PKG, version: '1.0' }] });
    expect(res.ok, res.output).toBe(true);
    expect(res.replaced).toEqual([{ name: PKG, from: null, to: '1.0' }]);
    expect(res.exitCode).toBe(0);
    expect(res.rebootRequired).toBe(false);
    expect(res.output).toContain(PKG);
    expect(await installedVersion()).toBe('1.0');
    expect(readFileSync(`/usr/share/${PKG}/version`, 'utf8')).toBe('1.0\n');
    freshInstall = res.replaced;
  });

  it('upgrades to 2.0, recording 1.0, and rolls back with a downgrade', async () => {
    const res = await installPackages({ ...opts, packages: [{ name: PKG, version: '2.0' }] });
    expect(res.ok, res.output).toBe(true);
    expect(res.replaced).toEqual([{ name: PKG, from: '1.0', to: '2.0' }]);
    expect(await installedVersion()).toBe('2.0');

    const back = await rollback({ ...opts, replaced: res.replaced });
    expect(back.ok, back.output).toBe(true);
    expect(back.replaced).toEqual([{ name: PKG, from: '2.0', to: '1.0' }]);
    expect(await installedVersion()).toBe('1.0');
    expect(readFileSync(`/usr/share/${PKG}/version`, 'utf8')).toBe('1.0\n');
  });

  it('reports a version no repository offers, changing nothing', async () => {
    const res = await installPackages({ ...opts, packages: [{ name: PKG, version: '3.0' }] });
    expect(res.ok).toBe(false);
    expect(res.error?.code).toBe('PF_ERR_PACKAGE_VERSION_UNAVAILABLE');
    expect(res.error?.message).toContain(`${PKG}=3.0`);
    expect(res.replaced).toEqual([]);
    expect(await installedVersion()).toBe('1.0');
  });

  it('kills apt-get at the timeout and says so', async () => {
    // 3.0 does not exist, so even a late kill can never interrupt dpkg.
    const err: unknown = await installPackages({ ...opts, timeoutMs: 1, packages: [{ name: PKG, version: '3.0' }] }).then(
      () => new Error('install should have timed out'),
      (e: unknown) => e,
    );
    expect(isPfError(err) && err.code).toBe('PF_ERR_APT_TIMEOUT');
    expect(await installedVersion()).toBe('1.0');
  });

  it('refuses a rollback whose version left the repository, before changing anything', async () => {
    const up = await installPackages({ ...opts, packages: [{ name: PKG, version: '2.0' }] });
    expect(up.replaced).toEqual([{ name: PKG, from: '1.0', to: '2.0' }]);
    repo!.removeVersion('1.0');
    expect((await updateIndexes(opts)).ok).toBe(true);

    const err: unknown = await rollback({ ...opts, replaced: up.replaced }).then(
      () => new Error('rollback should have been refused'),
      (e: unknown) => e,
    );
    expect(isPfError(err) && err.code).toBe('PF_ERR_ROLLBACK_UNAVAILABLE');
    expect((err as Error).message).toContain(`${PKG}=1.0`);
    expect(await installedVersion()).toBe('2.0');
  });

  it('rolls a fresh install back by removing the package', async () => {
    const back = await rollback({ ...opts, replaced: freshInstall });
    expect(back.ok, back.output).toBe(true);
    expect(back.replaced).toEqual([{ name: PKG, from: '2.0', to: null }]);
    expect(await installedVersion()).toBeUndefined();
    expect(existsSync(`/usr/share/${PKG}/version`)).toBe(false);
  });
});
