import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import type { Package } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { hosts, installedPackages, inventorySnapshots } from '@patchfleet/controller/src/db/schema/index';
import { loadHostSources } from '../hosts';
import { changedPackages, hostPackages, runIngest } from './core';

const byKey = (a: Package, b: Package): number => (a.manager + a.name + a.arch < b.manager + b.name + b.arch ? -1 : a.manager + a.name + a.arch > b.manager + b.name + b.arch ? 1 : 0);

describe('bench:ingest core', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await openTestDatabase();
  });
  afterAll(async () => {
    await tdb?.cleanup();
  });

  it('stores every agent report through chunking, decoding, assembly and applyReport: the stored rows are the input', async () => {
    const db = tdb.database.db;
    const agents = 5;
    const packages = 1500;
    const { hostIds, rounds } = await runIngest(db, { agents, packages, concurrency: 3, block: 2 });
    const sources = loadHostSources();
    const expected = Array.from({ length: agents }, (_, i) => changedPackages(hostPackages(i, packages, 1, sources)));
    const [first, again] = rounds;
    const firstRows = Array.from({ length: agents }, (_, i) => hostPackages(i, packages, 1, sources).length).reduce((a, b) => a + b, 0);
    expect(first).toMatchObject({ round: 'first', reports: agents, packageRows: firstRows, added: firstRows, changed: 0, removed: 0 });
    // about 1,500 packages a report: the real chunking makes two frames of each (1,000 packages a frame at most)
    expect(first!.frames).toBe(agents * 2);
    expect(again).toMatchObject({ round: 'again', reports: agents, packageRows: expected.reduce((n, p) => n + p.length, 0) });
    expect(again!.changed).toBeGreaterThan(0);
    expect(again!.removed).toBeGreaterThan(0);

    // counts of every host, from the database
    for (const [i, id] of hostIds.entries()) {
      const rows = await db.select({ n: installedPackages.name }).from(installedPackages).where(eq(installedPackages.hostId, id));
      expect(rows.length).toBe(expected[i]!.length);
      const [host] = await db.select({ packageCount: hosts.packageCount, lastSeq: hosts.lastSeq, hostname: hosts.hostname }).from(hosts).where(eq(hosts.id, id));
      expect(host).toEqual({ packageCount: expected[i]!.length, lastSeq: 2, hostname: `bench-${String(i).padStart(6, '0')}` });
      expect(await db.select({ seq: inventorySnapshots.seq }).from(inventorySnapshots).where(eq(inventorySnapshots.hostId, id)).orderBy(asc(inventorySnapshots.seq))).toEqual([{ seq: 1 }, { seq: 2 }]);
    }
    // and one host's packages, row for row
    const sample = 3;
    const stored = await db
      .select({ manager: installedPackages.manager, name: installedPackages.name, arch: installedPackages.arch, version: installedPackages.version, sourceName: installedPackages.sourceName, sourceVersion: installedPackages.sourceVersion })
      .from(installedPackages)
      .where(eq(installedPackages.hostId, hostIds[sample]!));
    expect(stored.sort(byKey)).toEqual([...expected[sample]!].sort(byKey));
  });
});
