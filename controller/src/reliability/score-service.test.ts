/** Known-issue import, score refresh and decisions on a real database (PGlite, or PostgreSQL with DATABASE_URL). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@patchfleet/shared';
import { isPfError } from '@patchfleet/shared/errors';
import { ADVISORIES, fixtureFeeds } from '@patchfleet/test/support/advisories';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { importKnownIssues } from '../catalog/known-issues';
import { saveCatalogFeeds } from '../catalog/store';
import type { Db } from '../db/index';
import { auditLog, healthHourly, hosts, knownIssues, patchBlocks, reliabilityHistory, reliabilityScores, rolloutHosts, rollouts } from '../db/schema/index';
import { rebuildDailyRollup } from '../health/rollup';
import { decisionsFor } from './decision-service';
import { refreshScores, STALE_MS } from './score-service';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const FILE = join(ADVISORIES, 'known-issues', 'windows-2025.jsonl');

describe('known issues, scores and decisions', () => {
  let tdb: TestDatabase;
  let db: Db;
  let scratch: string;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    tdb = await openTestDatabase();
    db = tdb.database.db;
    scratch = mkdtempSync(join(tmpdir(), 'pf-ki-'));
  });
  afterAll(async () => {
    await tdb.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  const rows = async () => (await db.select({ n: count() }).from(knownIssues))[0]?.n ?? 0;

  it('imports the known-issue file, scores the patches it names, and changes nothing the second time', async () => {
    const first = await importKnownIssues(db, FILE, { clock, actor: 'cli:test' });
    expect(first.knownIssues).toEqual({ inserted: 9, updated: 0, unchanged: 0, deleted: 0 });
    expect(first.rescored).toEqual(['KB5055523', 'KB5063878', 'KB5065426', 'KB5066835', 'KB5070773']);
    const scores = await db.select().from(reliabilityScores).where(eq(reliabilityScores.hostClass, ''));
    const by = new Map(scores.map((s) => [s.patchId, s]));
    // Three confirmed issues weigh more than one confirmed issue and one report; the fix inherits nothing.
    expect(by.get('KB5066835')!.score).toBeLessThan(by.get('KB5063878')!.score);
    expect(by.get('KB5070773')!.score).toBeGreaterThan(by.get('KB5063878')!.score);
    expect(by.get('KB5070773')!.reasons.some((r) => r.startsWith('fixes a known issue of KB5066835'))).toBe(true);
    expect(by.get('KB5066835')!.reasons[0]).toBe('no fleet evidence yet: prior from 3 vendor-confirmed issues');
    const history = (await db.select({ n: count() }).from(reliabilityHistory))[0]?.n;
    expect(history).toBe(5);

    clock.advance(60_000);
    const again = await importKnownIssues(db, FILE, { clock, actor: 'cli:test' });
    expect(again.knownIssues).toEqual({ inserted: 0, updated: 0, unchanged: 9, deleted: 0 });
    expect(again.changed).toBe(false);
    expect((await db.select({ n: count() }).from(reliabilityHistory))[0]?.n).toBe(5);
    const audits = await db.select().from(auditLog).where(eq(auditLog.action, 'catalog.import.known-issues'));
    expect(audits).toHaveLength(2);
  });

  it('refuses a file with a bad line, naming it, and stores nothing of it', async () => {
    const before = await rows();
    const bad = join(scratch, 'bad.jsonl');
    writeFileSync(
      bad,
      [
        '{"patchId":"KB5099999","released":"2026-01-13","status":"confirmed","symptom":"new issue","source":"x"}',
        '{"patchId":"KB5099998","released":"2026-01-13","status":"maybe","symptom":"bad status"}',
      ].join('\n'),
    );
    const err = await importKnownIssues(db, bad, { clock, actor: 'cli:test' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPfError(err)).toBe(true);
    expect((err as Error).message).toMatch(/bad\.jsonl: line 2, at status: must be one of confirmed, reported, by-design$/);
    expect(await rows()).toBe(before);
    writeFileSync(bad, '{"patchId":"KB5099999","status":"confirmed","symptom":"x","colour":"red"}\n');
    await expect(importKnownIssues(db, bad, { clock, actor: 'cli:test' })).rejects.toThrow(/line 1: unknown field "colour"/);
    writeFileSync(bad, '{"patchId":"KB5099999","status":"confirmed","symptom":"x","fixedOn":"2025-02-30"}\n');
    await expect(importKnownIssues(db, bad, { clock, actor: 'cli:test' })).rejects.toThrow(/line 1, at fixedOn: "2025-02-30" is not a calendar date/);
    expect(await rows()).toBe(before);
  });

  it('moves the score with fleet outcomes, per class and for the patch, and appends history only on change', async () => {
    const now = new Date(T0);
    const mk = (i: number, model: string) => ({
      id: `h${model}${i}`,
      hostname: `host-${model}-${i}`,
      osId: 'ubuntu',
      osVersion: '24.04',
      hwModel: model,
      labels: { role: 'web' },
      enrolledAt: now,
    });
    await db.insert(hosts).values([...Array.from({ length: 40 }, (_, i) => mk(i, 'T14')), ...Array.from({ length: 20 }, (_, i) => mk(i, 'R650'))]);
    await db.insert(rollouts).values({ id: 'ro_1', name: 'usn', content: { patches: ['USN-7545-1'], packages: [] }, state: 'active', releasedAt: now, createdBy: 'test', createdAt: now, updatedAt: now });
    await db.insert(rolloutHosts).values([
      ...Array.from({ length: 40 }, (_, i) => ({ rolloutId: 'ro_1', hostId: `hT14${i}`, ringId: 'rg_test', state: 'succeeded' as const, stateAt: now, installedAt: now, bootState: i < 3 ? ('failed' as const) : ('back' as const) })),
      ...Array.from({ length: 20 }, (_, i) => ({ rolloutId: 'ro_1', hostId: `hR650${i}`, ringId: 'rg_test', state: 'succeeded' as const, stateAt: now, installedAt: now })),
    ]);
    await db.transaction((tx) => refreshScores(tx, ['USN-7545-1'], now));
    const scores = await db.select().from(reliabilityScores).where(eq(reliabilityScores.patchId, 'USN-7545-1'));
    expect(scores).toHaveLength(3);
    const t14 = scores.find((s) => s.hostClass.includes('T14'))!;
    const r650 = scores.find((s) => s.hostClass.includes('R650'))!;
    const whole = scores.find((s) => s.hostClass === '')!;
    expect(t14.reasons).toContain('3 of 40 hosts of class Ubuntu 24.04 / T14 / web did not come back after reboot');
    expect(t14.score).toBeLessThan(r650.score);
    expect(whole.score).toBeLessThan(90);
    expect(whole.confidence).toBeGreaterThan(0.6);
    const h1 = (await db.select({ n: count() }).from(reliabilityHistory).where(eq(reliabilityHistory.patchId, 'USN-7545-1')))[0]?.n;
    expect(h1).toBe(3);
    await db.transaction((tx) => refreshScores(tx, ['USN-7545-1'], new Date(T0 + 60_000)));
    expect((await db.select({ n: count() }).from(reliabilityHistory).where(eq(reliabilityHistory.patchId, 'USN-7545-1')))[0]?.n).toBe(3);
    // Three more failures move it again.
    await db.update(rolloutHosts).set({ bootState: 'failed' }).where(eq(rolloutHosts.hostId, 'hT143'));
    await db.transaction((tx) => refreshScores(tx, ['USN-7545-1'], new Date(T0 + 120_000)));
    const after = await db.select().from(reliabilityScores).where(eq(reliabilityScores.patchId, 'USN-7545-1'));
    expect(after.find((s) => s.hostClass === '')!.score).toBeLessThan(whole.score);
    expect((await db.select({ n: count() }).from(reliabilityHistory).where(eq(reliabilityHistory.patchId, 'USN-7545-1')))[0]?.n).toBeGreaterThan(3);
  });

  it('counts health events after install against the same hosts before (hourly roll-ups)', async () => {
    const r650 = async () => (await db.select().from(reliabilityScores).where(eq(reliabilityScores.patchId, 'USN-7545-1'))).find((s) => s.hostClass.includes('R650'))!;
    const before = await r650();
    const HOUR = 3_600_000;
    const rows = Array.from({ length: 5 }, (_, h) =>
      Array.from({ length: 48 }, (_, i) => {
        const hour = new Date(T0 + (i - 24) * HOUR);
        // The same hosts: quiet for the day before the install, crashing twice an hour after it.
        return { hostId: `hR650${h}`, hour, samples: 12, coveredSec: 3600, appCrashes: i < 24 ? 0 : 2 };
      }),
    ).flat();
    await db.insert(healthHourly).values(rows);
    await rebuildDailyRollup(db);
    await db.transaction((tx) => refreshScores(tx, ['USN-7545-1'], new Date(T0 + 24 * HOUR)));
    const after = await r650();
    // 2 crashes an hour against none: the class's rate is many times its own baseline.
    expect(after.reasons).toContainEqual(expect.stringMatching(/^240 health events in 120 host-hours after install on Ubuntu 24\.04 \/ R650 \/ web against 0 in 120 before \(rate x\d{3}\.\d\)$/));
    expect(after.score).toBeLessThan(before.score);
  });

  it("seeds the prior from the product's history and compares a class with its baseline", async () => {
    const now = new Date(T0);
    await saveCatalogFeeds(db, { usn: (await fixtureFeeds()).usn });
    // USN-6718-1 (curl, 2024-03) went to the T14 hosts before: one did not come back. USN-7012-1 (curl, 2024-09) now.
    const mk = (id: string, patch: string) => ({ id, name: patch, content: { patches: [patch], packages: [] }, state: 'active' as const, releasedAt: now, createdBy: 'test', createdAt: now, updatedAt: now });
    await db.insert(rollouts).values([mk('ro_curl1', 'USN-6718-1'), mk('ro_curl2', 'USN-7012-1')]);
    await db.insert(rolloutHosts).values([
      ...Array.from({ length: 40 }, (_, i) => ({ rolloutId: 'ro_curl1', hostId: `hT14${i}`, ringId: 'rg_test', state: 'succeeded' as const, stateAt: now, installedAt: now, bootState: i === 0 ? ('failed' as const) : ('back' as const) })),
      ...Array.from({ length: 10 }, (_, i) => ({ rolloutId: 'ro_curl2', hostId: `hT14${i}`, ringId: 'rg_test', state: 'succeeded' as const, stateAt: now, installedAt: now, bootState: i < 2 ? ('failed' as const) : ('back' as const) })),
    ]);
    await db.transaction((tx) => refreshScores(tx, ['USN-7012-1'], now));
    const scores = await db.select().from(reliabilityScores).where(eq(reliabilityScores.patchId, 'USN-7012-1'));
    const whole = scores.find((s) => s.hostClass === '')!;
    expect(whole.reasons).toContain('product history: 1 of 40 hosts harmed by 1 earlier patch of source package curl (2.5 %); base rate 1.4 %');
    expect(scores.find((s) => s.hostClass !== '')!.reasons).toContain(
      '2 of 10 hosts of class Ubuntu 24.04 / T14 / web did not come back after reboot; class baseline 2.5 % (1 of 40 with earlier patches of the product)',
    );
  });

  it('recomputes a score read more than STALE_MS after it was computed, not before', async () => {
    const stored = async () => (await db.select().from(reliabilityScores).where(eq(reliabilityScores.patchId, 'USN-7012-1'))).find((s) => s.hostClass === '')!.score;
    const before = await stored();
    await db.update(rolloutHosts).set({ bootState: 'failed' }).where(and(eq(rolloutHosts.rolloutId, 'ro_curl2'), eq(rolloutHosts.hostId, 'hT145')));
    const soon = await db.transaction((tx) => decisionsFor(tx, ['USN-7012-1'], new Date(T0 + STALE_MS - 60_000)));
    expect(soon.get('USN-7012-1')!.score).toBe(before);
    const later = await db.transaction((tx) => decisionsFor(tx, ['USN-7012-1'], new Date(T0 + STALE_MS + 60_000)));
    expect(later.get('USN-7012-1')!.score).toBeLessThan(before);
    expect(await stored()).toBe(later.get('USN-7012-1')!.score);
  });

  it('decides: held for a confirmed issue without evidence, blocked by a fleet-wide block, scored on first read', async () => {
    const now = new Date(T0);
    const d = await db.transaction((tx) => decisionsFor(tx, ['KB5066835', 'KB5070773', 'USN-6119-1'], now));
    expect(d.get('KB5066835')!.decision).toBe('hold');
    expect(d.get('KB5066835')!.reasons[0]).toMatch(/reliability score \d+ is below 50/);
    expect(d.get('KB5070773')!.decision).toBe('stage');
    expect(d.get('KB5070773')!.cautious).toBe(true);
    // Never scored before: scored now from its prior.
    expect(d.get('USN-6119-1')!.score).not.toBeNull();
    await db.insert(patchBlocks).values({ id: 'blk_1', patchId: 'KB5070773', hostClass: null, state: 'active', reason: 'gate', createdBy: 'system', createdAt: now });
    const blocked = await db.transaction((tx) => decisionsFor(tx, ['KB5070773'], now));
    expect(blocked.get('KB5070773')!.decision).toBe('block');
  });

  it('decides on the classes not blocked when some classes are: their worst score, not the patch-wide one', async () => {
    const now = new Date(T0 + 2 * STALE_MS);
    const before = (await db.transaction((tx) => decisionsFor(tx, ['USN-7545-1'], now))).get('USN-7545-1')!;
    const classes = (await db.select().from(reliabilityScores).where(eq(reliabilityScores.patchId, 'USN-7545-1'))).filter((s) => s.hostClass !== '').sort((a, b) => a.score - b.score);
    expect(classes.length).toBeGreaterThanOrEqual(2);
    const [worst, ...others] = classes;
    expect(before.score).toBeLessThan(others[0]!.score);
    await db.insert(patchBlocks).values({ id: 'blk_cls', patchId: 'USN-7545-1', hostClass: worst!.hostClass, state: 'active', reason: 'gate', createdBy: 'system', createdAt: now });
    const after = (await db.transaction((tx) => decisionsFor(tx, ['USN-7545-1'], now))).get('USN-7545-1')!;
    expect(after.score).toBe(others[0]!.score);
    expect(after.reasons).toContain(`scored on the classes not blocked (worst ${others[0]!.score}); patch-wide score ${before.score} with the blocked class`);
    // The class block itself still holds the patch at Test (the planner lets the other classes go on).
    expect(after.decision === 'hold' || after.decision === 'block').toBe(true);
    expect(after.reasons[0]).toMatch(after.decision === 'hold' ? /blocked for 1 host class/ : /reliability score/);
    await db.delete(patchBlocks).where(eq(patchBlocks.id, 'blk_cls'));
  });
});
