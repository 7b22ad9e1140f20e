import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { sampleHost } from '@patchfleet/test/support/inventory';
import { FIXTURE_PATHS } from '@patchfleet/test/support/advisories';
import { importCatalog } from '../catalog/import';
import { loadConfig } from '../config';
import type { ControllerContext } from '../context';
import { hostPatchState, hostPatchSummary, hosts, installedPackages } from '../db/schema/index';
import { HostStateService } from './host-state';

describe('HostStateService', () => {
  let t: TestDatabase;
  let clock: ManualClock;
  let ctx: ControllerContext;

  beforeEach(async () => {
    t = await openTestDatabase();
    clock = new ManualClock(Date.parse('2026-01-15T00:00:00Z'));
    ctx = { config: loadConfig({ dataDir: t.dataDir }), db: t.database.db, dbKind: t.database.kind, bus: t.database.bus, clock, log: pino({ level: 'silent' }), controllerId: 'ctl_test', commandPublicKey: '' };
    const now = new Date(clock.now());
    await t.database.db.insert(hosts).values({ id: 'h1', hostname: 'web-1', enrolledAt: now, labels: { criticality: 'high' }, facts: sampleHost() as never });
    await t.database.db.insert(installedPackages).values([
      { hostId: 'h1', manager: 'dpkg', name: 'sudo', arch: 'amd64', version: '1.9.15p5-3ubuntu5', sourceName: 'sudo', sourceVersion: '1.9.15p5-3ubuntu5' },
      { hostId: 'h1', manager: 'dpkg', name: 'curl', arch: 'amd64', version: '8.5.0-2ubuntu10.4', sourceName: 'curl', sourceVersion: '8.5.0-2ubuntu10.4' },
    ]);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function state() {
    return t.database.db.select().from(hostPatchState).where(eq(hostPatchState.hostId, 'h1'));
  }

  /** The summary row agrees with the rows: missing count and earliest deadline. */
  async function expectSummaryOfRows() {
    const rows = (await state()).filter((r) => r.status === 'missing');
    const [summary] = await t.database.db.select().from(hostPatchSummary).where(eq(hostPatchSummary.hostId, 'h1'));
    const first = rows.reduce<number | null>((a, r) => (a === null || r.dueBy!.getTime() < a ? r.dueBy!.getTime() : a), null);
    expect(summary).toMatchObject({ missing: rows.length, firstDueBy: first === null ? null : new Date(first) });
    return summary;
  }

  it('assesses every host once the catalog appears (seen by polling), and a host again when it changes', async () => {
    const service = new HostStateService(ctx, 1000);
    service.start();
    await service.idle();
    expect(await state()).toEqual([]); // nothing imported yet: nothing to say
    expect(await t.database.db.select().from(hostPatchSummary)).toEqual([]);

    // Another process imports the catalog; the next poll notices the new generation.
    await importCatalog(t.database.db, { usnOsv: FIXTURE_PATHS.usnDir, kev: FIXTURE_PATHS.kev }, { clock, actor: 'test' });
    clock.advance(1000);
    for (let i = 0; i < 100 && (await state()).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await service.idle();
    }
    const rows = await state();
    const sudo = rows.find((r) => r.patchId === 'USN-7604-1');
    expect(sudo).toMatchObject({ status: 'missing', kind: 'usn', packages: [{ name: 'sudo', installed: '1.9.15p5-3ubuntu5', fixed: '1.9.15p5-3ubuntu5.24.04.1' }] });
    expect(sudo?.reasons.join(' ')).toMatch(/criticality high/);
    expect(rows.find((r) => r.patchId === 'USN-7012-1')?.status).toBe('installed');
    expect((await expectSummaryOfRows())?.missing).toBeGreaterThan(0);

    // sudo is upgraded: the host alone is re-assessed.
    await t.database.db.update(installedPackages).set({ version: '1.9.15p5-3ubuntu5.24.04.1', sourceVersion: '1.9.15p5-3ubuntu5.24.04.1' }).where(eq(installedPackages.name, 'sudo'));
    service.hostChanged('h1');
    await service.idle();
    expect((await state()).find((r) => r.patchId === 'USN-7604-1')?.status).toBe('installed');
    await expectSummaryOfRows();
    await service.stop();
  });
});
