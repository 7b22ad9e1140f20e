import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { describe, it, expect } from 'vitest';
import { decodeFrame, encodeFrame, Limits, makeFrame, packageKey, type Inventory } from '@patchfleet/shared/protocol';
import { isPfError } from '@patchfleet/shared/errors';
import { collectInventory, inventoryCollectorFor } from './index';

const run = promisify(execFile);

/**
 * Validates an inventory the way the controller will: as `inventory` frames
 * through the shared codec, whose Ajv validators are compiled from
 * HostFactsSchema and PackageSchema. (`ajv` itself is not a dependency of
 * @patchfleet/agent, so it cannot be imported here.)
 */
function validateAsFrames(inv: Inventory): void {
  const chunks: Inventory['packages'][] = [];
  for (let i = 0; i < inv.packages.length; i += Limits.packagesPerChunk) chunks.push(inv.packages.slice(i, i + Limits.packagesPerChunk));
  if (chunks.length === 0) chunks.push([]);
  chunks.forEach((packages, part) => {
    const frame = makeFrame('inventory', {
      seq: 1, kind: 'full', part, parts: chunks.length, packageCount: inv.packages.length, collectedAt: 0,
      ...(part === 0 ? { host: inv.host } : {}),
      packages,
    }, 0);
    decodeFrame(encodeFrame(frame));
  });
}

describe('inventoryCollectorFor', () => {
  it('refuses platforms without a collector with PF_ERR_UNSUPPORTED_PLATFORM', () => {
    expect(() => inventoryCollectorFor('darwin')).toThrow(/not supported on platform darwin/);
    const err = (() => { try { inventoryCollectorFor('freebsd'); } catch (e) { return e; } return undefined; })();
    expect(isPfError(err) && err.code).toBe('PF_ERR_UNSUPPORTED_PLATFORM');
  });

  it('has a Windows collector and refuses unknown platforms', () => {
    expect(typeof inventoryCollectorFor('win32')).toBe('function');
    expect(() => inventoryCollectorFor('aix')).toThrow(/not supported on platform aix/);
  });

  it('has a Linux collector', () => {
    expect(typeof inventoryCollectorFor('linux')).toBe('function');
  });
});

describe('collectInventory on this Linux host', () => {
  const warnings: string[] = [];
  let collecting: Promise<{ inv: Inventory; elapsedMs: number }> | undefined;
  // Collected once and shared; awaited in each test so that a failure fails every test, not a hook.
  const collected = () => (collecting ??= (async () => {
    expect(process.platform).toBe('linux');
    const started = performance.now();
    const inv = await collectInventory({ onWarning: (m) => warnings.push(m) });
    const elapsedMs = performance.now() - started;
    console.info(`collectInventory took ${Math.round(elapsedMs)} ms (${inv.packages.length} packages); warnings: ${JSON.stringify(warnings)}`);
    return { inv, elapsedMs };
  })());

  it('is valid on the wire (HostFactsSchema, PackageSchema)', async () => {
    const { inv } = await collected();
    expect(() => validateAsFrames(inv)).not.toThrow();
  });

  it('would be refused on the wire if a host fact were wrong (the check is live)', async () => {
    const { inv } = await collected();
    const broken = { ...inv, host: { ...inv.host, bootTime: -1 } };
    expect(() => validateAsFrames(broken)).toThrow(/bootTime/);
  });

  it('lists exactly the packages dpkg reports as installed', async () => {
    const { inv } = await collected();
    // Two independent views of the dpkg database: db:Status-Status, and the
    // second status letter of `dpkg -l` ("i" = installed; "ii", "hi", "ri", ...).
    const status = (await run('dpkg-query', ['-W', '--showformat=${db:Status-Status}\\n'], { maxBuffer: 1 << 26 })).stdout;
    const installedByStatus = status.split('\n').filter((s) => s === 'installed').length;

    const list = (await run('dpkg', ['-l'], { maxBuffer: 1 << 26, env: { ...process.env, COLUMNS: '1000', LC_ALL: 'C' } })).stdout;
    const rows = list.split('\n').map((l) => /^([a-z])([a-zA-Z])([ R])\s+(\S+)\s+(\S+)\s+(\S+)\s/.exec(l)).filter((m) => m !== null);
    const installedRows = rows.filter((m) => m[2] === 'i');
    expect(installedRows.length).toBeGreaterThan(50);
    expect(installedByStatus).toBe(installedRows.length);
    expect(inv.packages).toHaveLength(installedRows.length);

    // Same (name, version, arch) set as dpkg -l, whose names carry ":arch" for multi-arch packages.
    const expected = installedRows.map((m) => `${m[4]!.replace(/:[^:]+$/, '')} ${m[5]} ${m[6]}`).sort();
    expect(inv.packages.map((p) => `${p.name} ${p.version} ${p.arch}`).sort()).toEqual(expected);
    expect(inv.packages.every((p) => p.manager === 'dpkg' && p.sourceName !== '' && p.sourceVersion !== '')).toBe(true);
    expect(new Set(inv.packages.map(packageKey)).size).toBe(inv.packages.length);
    expect(inv.host.packageManagers).toContain('dpkg');
  });

  it('reports this host: hostname, boot id, os-release, uptime', async () => {
    const { inv } = await collected();
    expect(inv.host.hostname).toBe(hostname());
    const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    expect(bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(inv.host.bootId).toBe(bootId);

    const osRelease = await readFile('/etc/os-release', 'utf8');
    const field = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(osRelease)?.[1] ?? '';
    expect(inv.host.os).toMatchObject({ platform: 'linux', id: field('ID'), version: field('VERSION_ID') });
    expect(inv.host.os.codename ?? '').toBe(field('VERSION_CODENAME'));

    const uptime = Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
    expect(Math.abs(inv.host.uptimeSec - uptime)).toBeLessThan(60);
    expect(Math.abs(inv.host.bootTime + inv.host.uptimeSec * 1000 - Date.now())).toBeLessThan(60_000);
    expect(inv.host.network.some((n) => n.internal && n.ipv4.includes('127.0.0.1'))).toBe(true);
    expect(inv.host.memory.totalBytes).toBeGreaterThan(0);
    expect(inv.host.cpu.cores).toBeGreaterThan(0);
  });

  it('finishes well within the probe timeouts', async () => {
    const { elapsedMs } = await collected();
    expect(elapsedMs).toBeLessThan(5_000);
  });
});
