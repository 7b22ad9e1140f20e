import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import type { Package, PackageKey } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { sampleHost, samplePackage, samplePackages } from '@patchfleet/test/support/inventory';
import type { Db } from '../db/index';
import { hosts, installedPackages, inventorySnapshots } from '../db/schema/index';
import { applyReport } from './inventory-store';
import type { Report } from '../gateway/report-assembler';

const T0 = new Date('2026-11-23T12:00:00Z');

function full(seq: number, packages: Package[], host = sampleHost()): Report {
  return { seq, kind: 'full', baseSeq: undefined, collectedAt: T0.getTime() - 1000, host, packages, removed: [], lastFrameId: `f${seq}` };
}

function delta(seq: number, baseSeq: number | undefined, packages: Package[], removed: PackageKey[] = []): Report {
  return { seq, kind: 'delta', baseSeq, collectedAt: T0.getTime(), host: sampleHost(), packages, removed, lastFrameId: `f${seq}` };
}

const keyOf = (p: Package): PackageKey => ({ name: p.name, arch: p.arch, manager: p.manager });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
  return 'resolved';
}

describe('applyReport', () => {
  let tdb: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    tdb = await openTestDatabase();
    db = tdb.database.db;
  });
  afterAll(async () => {
    await tdb?.cleanup();
  });

  async function newHost(): Promise<string> {
    const id = randomUUID();
    await db.insert(hosts).values({ id, hostname: 'enrolling', enrolledAt: T0 });
    return id;
  }

  async function packagesOf(hostId: string): Promise<Package[]> {
    const rows = await db
      .select({ name: installedPackages.name, version: installedPackages.version, sourceName: installedPackages.sourceName, sourceVersion: installedPackages.sourceVersion, arch: installedPackages.arch, manager: installedPackages.manager })
      .from(installedPackages)
      .where(eq(installedPackages.hostId, hostId))
      .orderBy(asc(installedPackages.manager), asc(installedPackages.name), asc(installedPackages.arch));
    return rows;
  }

  async function state(hostId: string) {
    const [host] = await db.select({ lastSeq: hosts.lastSeq, packageCount: hosts.packageCount, hostname: hosts.hostname }).from(hosts).where(eq(hosts.id, hostId));
    const snapshots = await db.select().from(inventorySnapshots).where(eq(inventorySnapshots.hostId, hostId)).orderBy(asc(inventorySnapshots.id));
    return { host, packages: await packagesOf(hostId), snapshots: snapshots.length };
  }

  const sorted = (pkgs: Package[]): Package[] => [...pkgs].sort((a, b) => (a.manager + a.name + a.arch < b.manager + b.name + b.arch ? -1 : 1));

  it('stores a first full report: packages, host columns, sequence number and a snapshot', async () => {
    const hostId = await newHost();
    const pkgs = samplePackages(5);
    const result = await applyReport(db, hostId, full(1, pkgs), T0);
    expect(result).toEqual({ applied: true, packageCount: 5, added: 5, removed: 0, changed: 0 });
    expect(await packagesOf(hostId)).toEqual(sorted(pkgs));
    const [host] = await db.select().from(hosts).where(eq(hosts.id, hostId));
    expect(host).toMatchObject({
      hostname: 'web-01',
      fqdn: 'web-01.example.test',
      osPlatform: 'linux',
      osId: 'ubuntu',
      osVersion: '24.04',
      kernel: '6.8.0-45-generic',
      hwSerial: 'SN-0001',
      lastSeq: 1,
      packageCount: 5,
      lastReportAt: T0,
      lastSeenAt: T0,
    });
    // internal interfaces (loopback) are not searchable addresses
    expect(host?.addresses).toEqual(['10.1.2.3', 'fe80::5054:ff:fe12:3456']);
    expect(host?.facts).toMatchObject({ hostname: 'web-01', bootId: sampleHost().bootId });
    const [snap] = await db.select().from(inventorySnapshots).where(eq(inventorySnapshots.hostId, hostId));
    expect(snap).toMatchObject({ seq: 1, kind: 'full', packageCount: 5, added: 5, removed: 0, changed: 0, receivedAt: T0, collectedAt: new Date(T0.getTime() - 1000) });
  });

  it('a full report replaces the set, counting added, removed and changed', async () => {
    const hostId = await newHost();
    const before = samplePackages(10); // pkg 0..9
    await applyReport(db, hostId, full(1, before), T0);
    const after = [
      ...before.slice(2, 5), // 2..4 unchanged
      ...before.slice(5, 8).map((p) => ({ ...p, version: `${p.version}+1` })), // 5..7 upgraded
      { ...before[8]!, sourceName: 'new-source' }, // 8: source changed
      ...samplePackages(4, 100), // 100..103 new
      // 0, 1 and 9 removed
    ];
    const result = await applyReport(db, hostId, full(2, after), T0);
    expect(result).toEqual({ applied: true, packageCount: 11, added: 4, removed: 3, changed: 4 });
    expect(await packagesOf(hostId)).toEqual(sorted(after));
    expect((await state(hostId)).host).toMatchObject({ lastSeq: 2, packageCount: 11 });
  });

  it('an empty full report removes everything', async () => {
    const hostId = await newHost();
    await applyReport(db, hostId, full(1, samplePackages(3)), T0);
    expect(await applyReport(db, hostId, full(2, []), T0)).toEqual({ applied: true, packageCount: 0, added: 0, removed: 3, changed: 0 });
    expect(await packagesOf(hostId)).toEqual([]);
  });

  it('ignores a resent report (same number, same content) and an older delta without changing anything', async () => {
    const hostId = await newHost();
    await applyReport(db, hostId, full(4, samplePackages(3)), T0);
    const before = await state(hostId);
    expect(await applyReport(db, hostId, full(4, samplePackages(3)), T0)).toEqual({ applied: false, packageCount: 3, added: 0, removed: 0, changed: 0 });
    expect(await applyReport(db, hostId, delta(3, 2, [samplePackage(50)]), T0)).toMatchObject({ applied: false });
    expect(await state(hostId)).toEqual(before);
  });

  it('applies a full report at or below the stored number when its content differs (a fresh outbox of an older agent), and follows its numbering', async () => {
    const hostId = await newHost();
    await applyReport(db, hostId, full(1, []), T0); // the original state directory's first report: no packages
    const fresh = samplePackages(7);
    // A state directory holding only a copied identity.json starts again at 1.
    expect(await applyReport(db, hostId, full(1, fresh), T0)).toEqual({ applied: true, packageCount: 7, added: 7, removed: 0, changed: 0 });
    expect((await state(hostId)).host).toMatchObject({ lastSeq: 1, packageCount: 7 });
    // and its deltas apply on top of it
    expect(await applyReport(db, hostId, delta(2, 1, [samplePackage(70)]), T0)).toMatchObject({ applied: true, packageCount: 8 });
    // an older number with other content is also a new numbering
    expect(await applyReport(db, hostId, full(1, fresh.slice(0, 2)), T0)).toMatchObject({ applied: true, packageCount: 2 });
    expect((await state(hostId)).host).toMatchObject({ lastSeq: 1 });
  });

  it('applies a full report of another outbox epoch whatever its number, stores the epoch, and asks a delta of another epoch for a full report', async () => {
    const hostId = await newHost();
    const pkgs = samplePackages(4);
    await applyReport(db, hostId, { ...full(9, pkgs), epoch: 'epoch-old-1' }, T0);
    const readEpoch = async () => (await db.select({ e: hosts.reportEpoch, s: hosts.lastSeq }).from(hosts).where(eq(hosts.id, hostId)))[0];
    expect(await readEpoch()).toEqual({ e: 'epoch-old-1', s: 9 });
    // a resend in the same epoch is a duplicate
    expect(await applyReport(db, hostId, { ...full(9, pkgs), epoch: 'epoch-old-1' }, T0)).toMatchObject({ applied: false });
    // a delta of an epoch we do not hold cannot apply
    expect(await codeOf(applyReport(db, hostId, { ...delta(10, 9, [samplePackage(40)]), epoch: 'epoch-new-2' }, T0))).toBe('PF_ERR_RESYNC_REQUIRED');
    // a full report of the new epoch is applied at seq 1, even with the same packages (the numbering changes)
    expect(await applyReport(db, hostId, { ...full(1, pkgs), epoch: 'epoch-new-2' }, T0)).toMatchObject({ applied: true, packageCount: 4 });
    expect(await readEpoch()).toEqual({ e: 'epoch-new-2', s: 1 });
    expect(await applyReport(db, hostId, { ...delta(2, 1, [samplePackage(40)]), epoch: 'epoch-new-2' }, T0)).toMatchObject({ applied: true, packageCount: 5 });
    // an agent older than protocol 3 (no epoch) clears it
    await applyReport(db, hostId, full(3, pkgs), T0);
    expect(await readEpoch()).toEqual({ e: null, s: 3 });
  });

  it('applies a delta on the stored report: upserts and removals', async () => {
    const hostId = await newHost();
    const base = samplePackages(6);
    await applyReport(db, hostId, full(1, base), T0);
    const upgraded = { ...base[2]!, version: '9:9.9-1' };
    const unchanged = base[3]!;
    const added = samplePackage(77);
    const result = await applyReport(db, hostId, delta(2, 1, [upgraded, unchanged, added], [keyOf(base[0]!), keyOf(base[5]!), { name: 'never-installed', arch: 'amd64', manager: 'dpkg' }]), T0);
    expect(result).toEqual({ applied: true, packageCount: 5, added: 1, removed: 2, changed: 1 });
    expect(await packagesOf(hostId)).toEqual(sorted([base[1]!, upgraded, unchanged, base[4]!, added]));
    const s = await state(hostId);
    expect(s.host).toMatchObject({ lastSeq: 2, packageCount: 5 });
    expect(s.snapshots).toBe(2);

    // and the next delta builds on this one
    expect(await applyReport(db, hostId, delta(3, 2, [], [keyOf(added)]), T0)).toEqual({ applied: true, packageCount: 4, added: 0, removed: 1, changed: 0 });
  });

  it('refuses a delta on another report with PF_ERR_RESYNC_REQUIRED and changes nothing', async () => {
    const hostId = await newHost();
    await applyReport(db, hostId, full(1, samplePackages(4)), T0);
    await applyReport(db, hostId, delta(2, 1, [samplePackage(40)]), T0);
    const before = await state(hostId);
    expect(await codeOf(applyReport(db, hostId, delta(3, 1, [samplePackage(41)], [keyOf(samplePackage(0))]), T0))).toBe('PF_ERR_RESYNC_REQUIRED');
    expect(await codeOf(applyReport(db, hostId, delta(5, 4, [samplePackage(41)]), T0))).toBe('PF_ERR_RESYNC_REQUIRED');
    expect(await codeOf(applyReport(db, hostId, delta(3, undefined, [samplePackage(41)]), T0))).toBe('PF_ERR_RESYNC_REQUIRED');
    expect(await state(hostId)).toEqual(before);
  });

  it('refuses a delta to a host that has no report yet', async () => {
    const hostId = await newHost();
    expect(await codeOf(applyReport(db, hostId, delta(1, 5, [samplePackage(1)]), T0))).toBe('PF_ERR_RESYNC_REQUIRED');
    expect((await state(hostId)).packages).toEqual([]);
  });

  it('refuses a report listing a package twice, before changing anything', async () => {
    const hostId = await newHost();
    await applyReport(db, hostId, full(1, samplePackages(2)), T0);
    const before = await state(hostId);
    const pkgs = [...samplePackages(3), { ...samplePackage(1), version: 'other' }];
    expect(await codeOf(applyReport(db, hostId, full(2, pkgs), T0))).toBe('PF_ERR_BAD_FRAME');
    expect(await codeOf(applyReport(db, hostId, delta(2, 1, [samplePackage(9), samplePackage(9)]), T0))).toBe('PF_ERR_BAD_FRAME');
    expect(await state(hostId)).toEqual(before);
  });

  it('keeps one package per manager, name and arch', async () => {
    const hostId = await newHost();
    const p = samplePackage(1);
    const variants = [p, { ...p, arch: 'i386' }, { ...p, manager: 'rpm' as const }];
    expect(await applyReport(db, hostId, full(1, variants), T0)).toMatchObject({ applied: true, added: 3, packageCount: 3 });
    expect(await packagesOf(hostId)).toHaveLength(3);
  });

  it('stores and replaces 3,000-package reports (batched writes and deletes of more than one batch)', async () => {
    const hostId = await newHost();
    const first = samplePackages(3_000);
    expect(await applyReport(db, hostId, full(1, first), T0)).toEqual({ applied: true, packageCount: 3_000, added: 3_000, removed: 0, changed: 0 });
    expect(await packagesOf(hostId)).toHaveLength(3_000);
    // 1,200 removed (more than one delete batch), 1,800 kept of which 900 upgraded, 2,500 new
    const second = [...samplePackages(1_800, 1_200).map((p, i) => (i % 2 ? { ...p, version: `${p.version}.1` } : p)), ...samplePackages(2_500, 10_000)];
    const result = await applyReport(db, hostId, full(2, second), T0);
    expect(result).toEqual({ applied: true, packageCount: 4_300, added: 2_500, removed: 1_200, changed: 900 });
    expect(await packagesOf(hostId)).toEqual(sorted(second));
    // a delta removing 1,500 at once
    const gone = second.slice(0, 1_500).map(keyOf);
    expect(await applyReport(db, hostId, delta(3, 2, [], gone), T0)).toEqual({ applied: true, packageCount: 2_800, added: 0, removed: 1_500, changed: 0 });
    expect(await packagesOf(hostId)).toEqual(sorted(second.slice(1_500)));
  });

  it('stores, replaces and removes more packages than one statement carries (10,000 rows a statement)', async () => {
    const hostId = await newHost();
    const first = samplePackages(10_050);
    expect(await applyReport(db, hostId, full(1, first), T0)).toMatchObject({ applied: true, packageCount: 10_050, added: 10_050 });
    expect(await packagesOf(hostId)).toEqual(sorted(first));
    // every package upgraded: 10,050 updates through the upsert, in two statements
    const second = first.map((p) => ({ ...p, version: `${p.version}.1` }));
    expect(await applyReport(db, hostId, full(2, second), T0)).toEqual({ applied: true, packageCount: 10_050, added: 0, removed: 0, changed: 10_050 });
    expect(await packagesOf(hostId)).toEqual(sorted(second));
    // 10,020 removed at once by a full report, in two statements
    const third = second.slice(10_020);
    expect(await applyReport(db, hostId, full(3, third), T0)).toEqual({ applied: true, packageCount: 30, added: 0, removed: 10_020, changed: 0 });
    expect(await packagesOf(hostId)).toEqual(sorted(third));
  });

  it('stores text that JSON escapes exactly as sent (quotes, backslashes, non-ASCII, an empty source version)', async () => {
    const hostId = await newHost();
    const odd: Package[] = [
      { ...samplePackage(1), name: 'q"uote\\back', version: '1:2.0~rc1+dfsg-1', sourceVersion: '' },
      { ...samplePackage(2), name: 'unicodé-日本-🙂', sourceName: "it's", version: 'tab\tnewline\n' },
      { ...samplePackage(3), name: '{"m":"x"}', arch: 'all' },
    ];
    expect(await applyReport(db, hostId, full(1, odd), T0)).toMatchObject({ applied: true, added: 3 });
    expect(await packagesOf(hostId)).toEqual(sorted(odd));
    // read back as stored, the same set counts as unchanged, and a delta removes by those keys
    expect(await applyReport(db, hostId, full(1, odd), T0)).toMatchObject({ applied: false });
    expect(await applyReport(db, hostId, delta(2, 1, [], odd.slice(0, 2).map(keyOf)), T0)).toMatchObject({ applied: true, removed: 2, packageCount: 1 });
    expect(await packagesOf(hostId)).toEqual([odd[2]]);
  });

  it('refuses a report for a host that does not exist', async () => {
    expect(await codeOf(applyReport(db, randomUUID(), full(1, samplePackages(1)), T0))).toBe('PF_ERR_UNKNOWN_AGENT');
  });
});
