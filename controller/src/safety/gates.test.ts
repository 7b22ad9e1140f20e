/**
 * The gates inside the planner, round by round on a real database (PGlite,
 * or PostgreSQL with DATABASE_URL): a harmed class trips, is blocked and
 * rolled back by ring policy while another class goes on; an incident that
 * hits patched and unpatched hosts alike trips nothing; a host that does not
 * come back from its reboot trips the boot gate; a soaking ring waits for
 * health evidence. The judge is injected (plainJudge) so these tests are
 * about the planner; safety/stats tests the statistics. Where a test sets
 * NEUTRAL_SAFETY it runs the product's statistics (evaluateCohort).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOUR, MIN, NEUTRAL_SAFETY, RolloutKit, T0 } from '../rollout/rollout-kit.test-support';
import { incidents, patchBlocks } from '../db/schema/index';
import { getRollout } from '../rollout/rollout-view';
import { WATCH_JUDGE_EVERY_MS } from '../rollout/rollout-tick';
import type { GateVerdict } from './gate-types';
import { plainJudge, seedSamples, setBootId, setRole } from './safety-kit.test-support';

let kit: RolloutKit;
beforeEach(async () => {
  kit = await RolloutKit.open();
  kit.safety = { ...NEUTRAL_SAFETY, evaluate: plainJudge };
});
afterEach(async () => {
  await kit.cleanup();
});

const WEB = JSON.stringify(['', '', '', 'web']);
const DB = JSON.stringify(['', '', '', 'db']);
const REPLACED = [{ name: 'openssl', from: '1.0-1', to: '1.1-1' }];
const ALL = ['w1', 'w2', 'w3', 'd1', 'd2', 'w4', 'w5', 'd3'];

/**
 * Test: web w1 w2 w3, db d1 d2; First: web w4 w5, db d3 (First has no
 * deferral or soak here). Installed at T0+10m; after that w1 and w2 fail
 * their probe in every 5-minute sample, w3 stays healthy, db is healthy.
 */
async function harmedWeb(rollback: 'harmed' | 'cohort' | 'none'): Promise<string> {
  await kit.editRing('Test', { soakHours: 2, health: { rollback, rebootGraceMin: 30, alpha: 0.01 } });
  await kit.editRing('First', { deferralDays: 0, soakHours: 0 });
  await kit.addHosts(['w1', 'w2', 'w3', 'd1', 'd2'], 'Test');
  await kit.addHosts(['w4', 'w5', 'd3'], 'First');
  await setRole(kit.db, ['w1', 'w2', 'w3', 'w4', 'w5'], 'web');
  await setRole(kit.db, ['d1', 'd2', 'd3'], 'db');
  const id = await kit.start(T0);
  await kit.tick(T0, ALL);
  for (const h of ['w1', 'w2', 'w3', 'd1', 'd2']) await kit.finish(h, T0 + 10 * MIN, 'succeeded', { replaced: REPLACED });
  await kit.tick(T0 + 10 * MIN, ALL);
  expect((await kit.ring(id, 'Test')).state).toBe('soaking');
  await seedSamples(kit.db, ALL, T0 - HOUR, T0 + 3 * HOUR, 5 * MIN, (h, t) => ({ probeRuns: 1, probeFailures: (h === 'w1' || h === 'w2') && t >= T0 + 10 * MIN ? 1 : 0 }));
  return id;
}

describe('a tripped gate', () => {
  it('blocks the class, rolls back only the harmed hosts (policy harmed), opens an incident, and lets the other class go on', async () => {
    const id = await harmedWeb('harmed');
    // One hour after the installs: 11 samples with a failure on each of w1 and w2.
    await kit.tick(T0 + HOUR, ALL);
    const [block] = await kit.db.select().from(patchBlocks);
    expect(block).toMatchObject({ patchId: 'pkg:openssl=1.1-1', hostClass: WEB, state: 'active', createdBy: 'system', rolloutId: id });
    const [incident] = await kit.db.select().from(incidents);
    expect(incident).toMatchObject({ gate: 'probe-failure', hostClass: WEB, state: 'open', rollbackPolicy: 'harmed', harmedHosts: ['w1', 'w2'] });
    expect(incident?.summary).toContain('harmed hosts of class');
    expect(incident?.summary).toContain('role web');
    expect(incident?.timeline.map((e) => e.event)).toEqual(['tripped', 'blocked', 'rollback ordered']);
    expect((incident?.evidence['cohort'] as { counts: Record<string, unknown> }).counts['probe-failure']).toMatchObject({ patchedEvents: 20, controlEvents: 0 });
    // w1 and w2 got rollback commands in the same round; w3 (healthy) keeps the patch; First's web hosts will never get it.
    for (const h of ['w1', 'w2']) {
      expect((await kit.host(id, h)).state).toBe('rolling-back');
      expect((await kit.commandsOf(h)).at(-1)).toMatchObject({ action: 'rollback', params: { replaced: REPLACED } });
    }
    expect((await kit.host(id, 'w3')).state).toBe('succeeded');
    expect((await kit.host(id, 'w4')).state).toBe('blocked');
    expect((await kit.host(id, 'w5')).state).toBe('blocked');
    expect((await kit.rollout(id)).state).toBe('active');
    expect((await kit.audits('safety.gate_tripped')).length).toBe(1);
    expect((await kit.audits('block.create')).length).toBe(1);
    expect((await kit.audits('rollout.host_rollback'))[0]?.details['hosts']).toEqual(['w1', 'w2']);

    await kit.finish('w1', T0 + HOUR + MIN, 'succeeded', {}, 'rollback');
    await kit.finish('w2', T0 + HOUR + MIN, 'succeeded', {}, 'rollback');
    await kit.tick(T0 + HOUR + 2 * MIN, ALL);
    expect((await kit.host(id, 'w1')).state).toBe('rolled-back');
    const [after] = await kit.db.select().from(incidents);
    expect(after?.rolledBackHosts.sort()).toEqual(['w1', 'w2']);
    expect(after?.timeline.filter((e) => e.event === 'host rolled back')).toHaveLength(2);

    // Test's soak ends at T0+2h10m: db passes, First starts for d3 only.
    expect(await kit.tick(T0 + 2 * HOUR + 10 * MIN, ALL)).toEqual(['d3']);
    expect((await kit.ring(id, 'Test')).state).toBe('passed');
    const view = await getRollout(kit.db, id);
    expect(view.rings.find((r) => r.ring === 'First')?.hosts).toMatchObject({ blocked: 2, installing: 1 });
    expect(view.rings.find((r) => r.ring === 'Test')?.gate).toMatchObject({ state: 'passed', trippedClasses: [WEB] });
    expect(view.incidents.map((i) => i.id)).toEqual([incident?.id]);
  });

  it('rolls back every patched host of the class with policy cohort, and none with policy none', async () => {
    const id = await harmedWeb('cohort');
    await kit.tick(T0 + HOUR, ALL);
    for (const h of ['w1', 'w2', 'w3']) expect((await kit.host(id, h)).state).toBe('rolling-back');
    expect((await kit.host(id, 'd1')).state).toBe('succeeded');
    await kit.cleanup();

    kit = await RolloutKit.open();
    kit.safety = { ...NEUTRAL_SAFETY, evaluate: plainJudge };
    const id2 = await harmedWeb('none');
    await kit.tick(T0 + HOUR, ALL);
    expect((await kit.db.select().from(patchBlocks)).length).toBe(1);
    for (const h of ['w1', 'w2', 'w3']) expect((await kit.host(id2, h)).state).toBe('succeeded');
    expect((await kit.host(id2, 'w4')).state).toBe('blocked');
    expect((await kit.allCommands()).filter((c) => c.action === 'rollback')).toEqual([]);
  });

  it('keeps new rollouts of the patch away from the blocked class', async () => {
    await harmedWeb('none');
    await kit.tick(T0 + HOUR, ALL);
    await kit.addHosts(['w6', 'd6'], 'Test', { version: '1.0-1' });
    await setRole(kit.db, ['w6'], 'web');
    await setRole(kit.db, ['d6'], 'db');
    const next = await kit.start(T0 + 2 * HOUR, { rings: ['Test'] });
    expect((await kit.host(next, 'w6')).state).toBe('blocked');
    expect((await kit.host(next, 'd6')).state).toBe('pending');
  });
});

/**
 * Harm that shows only after the rollout completed: Test (w1 w2 w3, d1 d2;
 * soak 1 h) and First (w4 w5, d3; no deferral, no soak), installed at
 * T0+10m and T0+1h15m; the rollout completes at T0+1h20m. From T0+6h every
 * web host fails its probe in every 5-minute sample; db stays healthy.
 */
async function lateHarm(watchHours: number): Promise<string> {
  await kit.editRing('Test', { soakHours: 1, health: { rollback: 'harmed', watchHours } });
  await kit.editRing('First', { deferralDays: 0, soakHours: 0, health: { watchHours } });
  await kit.addHosts(['w1', 'w2', 'w3', 'd1', 'd2'], 'Test');
  await kit.addHosts(['w4', 'w5', 'd3'], 'First');
  await setRole(kit.db, ['w1', 'w2', 'w3', 'w4', 'w5'], 'web');
  await setRole(kit.db, ['d1', 'd2', 'd3'], 'db');
  await seedSamples(kit.db, ALL, T0 - 2 * HOUR, T0 + 10 * HOUR, 5 * MIN, (h, t) => ({ probeRuns: 1, probeFailures: h.startsWith('w') && t >= T0 + 6 * HOUR ? 1 : 0 }));
  const id = await kit.start(T0);
  await kit.tick(T0, ALL);
  for (const h of ['w1', 'w2', 'w3', 'd1', 'd2']) await kit.finish(h, T0 + 10 * MIN, 'succeeded', { replaced: REPLACED });
  await kit.tick(T0 + 10 * MIN, ALL);
  expect(await kit.tick(T0 + HOUR + 10 * MIN, ALL)).toEqual(['d3', 'w4', 'w5']);
  for (const h of ['w4', 'w5', 'd3']) await kit.finish(h, T0 + HOUR + 15 * MIN, 'succeeded', { replaced: REPLACED });
  await kit.tick(T0 + HOUR + 20 * MIN, ALL);
  expect((await kit.rollout(id)).state).toBe('completed');
  expect(await kit.db.select().from(incidents)).toEqual([]);
  return id;
}

describe('pooled outcomes of the classes not blocked (judgeRest)', () => {
  it('blocks the patch fleet-wide when, after one class tripped, the other classes failures together trip, none alone', async () => {
    // The judge: each class as plainJudge; the pooled rest (hostClass '') trips on 2 failed installs.
    kit.safety = {
      ...NEUTRAL_SAFETY,
      evaluate: (ev) =>
        ev.hostClass === ''
          ? { tripped: ev.installs.failures >= 2, verdicts: [{ gate: 'install-failure', tripped: ev.installs.failures >= 2, statistic: ev.installs.failures, threshold: 2, estimate: 0, summary: `installs failed: ${ev.installs.failures} of ${ev.installs.trials}` }] }
          : plainJudge(ev),
    };
    // A lenient ring limit: the failures here are the gates' business, not the ring's.
    await kit.editRing('Test', { soakHours: 4, promotion: { minHostsDone: 1, maxFailureRate: 0.5 } });
    await kit.editRing('First', { deferralDays: 0, soakHours: 0 });
    const hosts = ['w1', 'w2', 'w3', 'd1', 'd2', 'a1', 'a2', 'w4', 'w5'];
    await kit.addHosts(hosts.slice(0, 7), 'Test');
    // Unpatched web hosts: the controls of the web class.
    await kit.addHosts(['w4', 'w5'], 'First');
    await setRole(kit.db, ['w1', 'w2', 'w3', 'w4', 'w5'], 'web');
    await setRole(kit.db, ['d1', 'd2'], 'db');
    await setRole(kit.db, ['a1', 'a2'], 'app');
    const id = await kit.start(T0);
    await kit.tick(T0, hosts);
    for (const h of ['w1', 'w2', 'w3', 'd2', 'a2']) await kit.finish(h, T0 + 10 * MIN, 'succeeded', { replaced: REPLACED });
    await kit.tick(T0 + 10 * MIN, hosts);
    await seedSamples(kit.db, hosts, T0 - HOUR, T0 + 3 * HOUR, 5 * MIN, (h, t) => ({ probeRuns: 1, probeFailures: (h === 'w1' || h === 'w2') && t >= T0 + 10 * MIN ? 1 : 0 }));
    // The web class trips on its probes; db and app have no failure yet: a class block only.
    await kit.tick(T0 + HOUR, hosts);
    expect((await kit.db.select().from(patchBlocks)).map((b) => b.hostClass)).toEqual([WEB]);
    // One failed install on db and one on app: neither class trips alone, together they do.
    await kit.finish('d1', T0 + HOUR + 5 * MIN, 'failed');
    await kit.finish('a1', T0 + HOUR + 5 * MIN, 'failed');
    await kit.tick(T0 + HOUR + 10 * MIN, hosts);
    const blocks = await kit.db.select().from(patchBlocks);
    expect(blocks.map((b) => b.hostClass).sort()).toEqual([JSON.stringify(['', '', '', 'app']), WEB, null].sort());
    expect(blocks.find((b) => b.hostClass === null)?.reason).toMatch(/^evidence spans classes; incident .*: the 2 class\(es\) not blocked, together, after another class tripped: installs failed: 2 of 4/);
    expect((await kit.rollout(id)).state).toBe('active');
  });
});

describe('two classes tripping alone', () => {
  it('block those two classes only: the patch goes on for the class whose hosts stay healthy', async () => {
    await kit.editRing('Test', { soakHours: 4 });
    await kit.editRing('First', { deferralDays: 0, soakHours: 0 });
    const hosts = ['w1', 'w2', 'w3', 'd1', 'd2', 'd3', 'a1', 'a2', 'w4', 'd4', 'a3'];
    await kit.addHosts(hosts.slice(0, 8), 'Test');
    await kit.addHosts(['w4', 'd4', 'a3'], 'First');
    await setRole(kit.db, ['w1', 'w2', 'w3', 'w4'], 'web');
    await setRole(kit.db, ['d1', 'd2', 'd3', 'd4'], 'db');
    await setRole(kit.db, ['a1', 'a2', 'a3'], 'app');
    const id = await kit.start(T0);
    await kit.tick(T0, hosts);
    for (const h of hosts.slice(0, 8)) await kit.finish(h, T0 + 10 * MIN, 'succeeded', { replaced: REPLACED });
    await kit.tick(T0 + 10 * MIN, hosts);
    // web and db hosts fail their probes after the install (an incident on both, or a patch bad for both); app stays healthy.
    await seedSamples(kit.db, hosts, T0 - HOUR, T0 + 3 * HOUR, 5 * MIN, (h, t) => ({ probeRuns: 1, probeFailures: ['w1', 'w2', 'd1', 'd2'].includes(h) && t >= T0 + 10 * MIN ? 1 : 0 }));
    await kit.tick(T0 + HOUR, hosts);
    const blocks = await kit.db.select().from(patchBlocks);
    expect(blocks.map((b) => b.hostClass).sort()).toEqual([DB, WEB].sort());
    expect((await kit.rollout(id)).state).toBe('active');
  });
});

describe('installs failing on two classes', () => {
  it('block the patch fleet-wide, one round after the other: the installer is what fails', async () => {
    // The pooled rest never trips here: only the two classes' own install gates act (web on the small-sample
    // limit, as the product names it, db on the posterior).
    const asLimit = (v: GateVerdict): GateVerdict => ({ ...v, verdicts: v.verdicts.map((x) => (x.gate === 'install-failure' ? { ...x, gate: 'absolute-limit', subject: 'install-failure' } : x)) });
    kit.safety = { ...NEUTRAL_SAFETY, evaluate: (ev) => (ev.hostClass === '' ? { tripped: false, verdicts: [] } : ev.hostClass === WEB ? asLimit(plainJudge(ev)) : plainJudge(ev)) };
    await kit.editRing('Test', { soakHours: 4, promotion: { minHostsDone: 1, maxFailureRate: 0.9 } });
    await kit.editRing('First', { deferralDays: 0, soakHours: 0 });
    const hosts = ['w1', 'w2', 'w3', 'd1', 'd2', 'd3', 'a1', 'a2', 'a3'];
    await kit.addHosts(hosts, 'Test');
    await setRole(kit.db, ['w1', 'w2', 'w3'], 'web');
    await setRole(kit.db, ['d1', 'd2', 'd3'], 'db');
    await setRole(kit.db, ['a1', 'a2', 'a3'], 'app');
    await kit.start(T0);
    await kit.tick(T0, hosts);
    for (const h of ['w3', 'a1', 'a2', 'a3', 'd3']) await kit.finish(h, T0 + 10 * MIN, 'succeeded', { replaced: REPLACED });
    for (const h of ['w1', 'w2']) await kit.finish(h, T0 + 10 * MIN, 'failed');
    await kit.tick(T0 + 20 * MIN, hosts);
    expect((await kit.db.select().from(patchBlocks)).map((b) => b.hostClass)).toEqual([WEB]);
    for (const h of ['d1', 'd2']) await kit.finish(h, T0 + 30 * MIN, 'failed');
    await kit.tick(T0 + 40 * MIN, hosts);
    const blocks = await kit.db.select().from(patchBlocks);
    expect(blocks.map((b) => b.hostClass).sort()).toEqual([DB, WEB, null].sort());
  });
});

describe('the post-install watch (health.watchHours)', () => {
  it('keeps judging the hosts of a completed rollout: late harm blocks the class and rolls its harmed hosts back; the rollout stays completed', async () => {
    const id = await lateHarm(24);
    expect((await kit.tick(T0 + 7 * HOUR, ALL)).sort()).toEqual(['w1', 'w2', 'w3', 'w4', 'w5']);
    const [incident] = await kit.db.select().from(incidents);
    expect(incident).toMatchObject({ gate: 'probe-failure', hostClass: WEB, rolloutId: id, harmedHosts: ['w1', 'w2', 'w3', 'w4', 'w5'] });
    expect((await kit.db.select().from(patchBlocks)).map((b) => b.hostClass)).toEqual([WEB]);
    for (const h of ['w1', 'w4']) expect((await kit.commandsOf(h)).at(-1)).toMatchObject({ action: 'rollback', params: { replaced: REPLACED } });
    expect((await kit.host(id, 'd1')).state).toBe('succeeded');
    // The rollbacks' results are folded in although the rollout is completed; it stays completed.
    for (const h of ['w1', 'w2', 'w3', 'w4', 'w5']) await kit.finish(h, T0 + 7 * HOUR + MIN, 'succeeded', {}, 'rollback');
    await kit.tick(T0 + 7 * HOUR + 2 * MIN, ALL);
    expect((await kit.host(id, 'w4')).state).toBe('rolled-back');
    expect((await kit.rollout(id)).state).toBe('completed');
    const [after] = await kit.db.select().from(incidents);
    expect(after?.rolledBackHosts.sort()).toEqual(['w1', 'w2', 'w3', 'w4', 'w5']);
  });

  it('judges a rollout that only watches at most every WATCH_JUDGE_EVERY_MS of rollout time', async () => {
    kit.watchEveryMs = WATCH_JUDGE_EVERY_MS;
    await lateHarm(24);
    await kit.tick(T0 + 5 * HOUR + 30 * MIN, ALL);
    // Harm from T0+6h: at T0+7h the last judgment (T0+5h30m) is 1.5 hours old, so nothing is judged yet.
    expect(await kit.tick(T0 + 7 * HOUR, ALL)).toEqual([]);
    expect(await kit.db.select().from(incidents)).toEqual([]);
    expect((await kit.tick(T0 + 9 * HOUR + 30 * MIN, ALL)).sort()).toEqual(['w1', 'w2', 'w3', 'w4', 'w5']);
    expect((await kit.db.select().from(incidents)).map((i) => i.gate)).toEqual(['probe-failure']);
  });

  it('judges nothing once every install is older than its watch, or with a watch of 0', async () => {
    await lateHarm(4);
    // First's installs (T0+1h15m) leave the 4-hour watch at T0+5h15m, before the harm shows.
    expect(await kit.tick(T0 + 7 * HOUR, ALL)).toEqual([]);
    expect(await kit.db.select().from(incidents)).toEqual([]);
    await kit.cleanup();

    kit = await RolloutKit.open();
    kit.safety = { ...NEUTRAL_SAFETY, evaluate: plainJudge };
    await lateHarm(0);
    expect(await kit.tick(T0 + 7 * HOUR, ALL)).toEqual([]);
    expect(await kit.db.select().from(incidents)).toEqual([]);
  });
});

describe('gates that must not trip', () => {
  it('an incident that hits patched and unpatched hosts of a class alike trips nothing; the ring passes after its soak', async () => {
    kit.safety = NEUTRAL_SAFETY; // the product's statistics
    await kit.editRing('Test', { soakHours: 2 });
    await kit.editRing('First', { deferralDays: 0, windows: [{ cron: '0 0 1 1 *', timeZone: 'UTC', durationMin: 1 }] });
    const patched = ['p1', 'p2', 'p3', 'p4'];
    const controls = ['c1', 'c2', 'c3', 'c4'];
    await kit.addHosts(patched, 'Test');
    await kit.addHosts(controls, 'First');
    await setRole(kit.db, [...patched, ...controls], 'web');
    const id = await kit.start(T0);
    await kit.tick(T0, [...patched, ...controls]);
    for (const h of patched) await kit.finish(h, T0 + 10 * MIN, 'succeeded', { replaced: REPLACED });
    await kit.tick(T0 + 10 * MIN, [...patched, ...controls]);
    // From T0+30m to T0+1h every web host crashes in every sample (a bad DNS day), patched or not.
    await seedSamples(kit.db, [...patched, ...controls], T0 - HOUR, T0 + 3 * HOUR, 5 * MIN, (_h, t) => ({ appCrashes: t >= T0 + 30 * MIN && t < T0 + HOUR ? 2 : 0 }));
    for (const t of [T0 + 40 * MIN, T0 + HOUR, T0 + 2 * HOUR]) await kit.tick(t, [...patched, ...controls]);
    expect(await kit.db.select().from(incidents)).toEqual([]);
    await kit.tick(T0 + 2 * HOUR + 10 * MIN, [...patched, ...controls]);
    expect((await kit.ring(id, 'Test')).state).toBe('passed');
  });
});

describe('reboot checks', () => {
  it('expects a new boot id within the grace period; a host that does not come back is a boot failure that trips the gate', async () => {
    kit.safety = NEUTRAL_SAFETY; // the product's statistics
    await kit.editRing('Test', { soakHours: 4, reboot: { policy: 'always', deadlineHours: 1 }, health: { rollback: 'harmed', rebootGraceMin: 20, alpha: 0.01 } });
    const ids = ['r1', 'r2', 'r3'];
    await kit.addHosts(ids, 'Test');
    for (const h of ids) await setBootId(kit.db, h, `${h}-boot-1`);
    const id = await kit.start(T0);
    await kit.tick(T0, ids);
    expect((await kit.host(id, 'r1')).bootIdBefore).toBe('r1-boot-1');
    for (const h of ids) await kit.finish(h, T0 + 5 * MIN, 'succeeded', { replaced: REPLACED, rebootRequired: true });
    await kit.tick(T0 + 5 * MIN, ids);
    // Due 20 minutes plus the 60 s reboot delay after the install.
    expect(await kit.host(id, 'r1')).toMatchObject({ state: 'succeeded', bootState: 'expected', rebootDueBy: new Date(T0 + 26 * MIN) });
    await setBootId(kit.db, 'r1', 'r1-boot-2');
    await kit.tick(T0 + 10 * MIN, ids);
    expect((await kit.host(id, 'r1')).bootState).toBe('back');
    expect((await kit.host(id, 'r2')).bootState).toBe('expected');
    expect(await kit.db.select().from(incidents)).toEqual([]);
    // Past the grace period r2 and r3 still have their old boot ids: two boot failures.
    await kit.tick(T0 + 26 * MIN, ['r1']);
    expect((await kit.host(id, 'r2')).bootState).toBe('failed');
    const [incident] = await kit.db.select().from(incidents);
    expect(incident).toMatchObject({ gate: 'boot-failure', harmedHosts: ['r2', 'r3'] });
    expect((await kit.host(id, 'r2')).state).toBe('rolling-back');
    expect((await kit.host(id, 'r1')).state).toBe('succeeded');
    expect((await kit.audits('rollout.reboot_failed'))[0]?.details['hosts']).toEqual(['r2', 'r3']);
  });
});

describe('promotion waits for the gates', () => {
  it('keeps a ring soaking while a class has too little health evidence, up to one more soak, then passes it with the shortfall recorded', async () => {
    await kit.editRing('Test', { soakHours: 2 });
    await kit.addHosts(['a1', 'a2'], 'Test');
    await kit.addHosts(['f1'], 'First');
    await kit.editRing('First', { deferralDays: 0 });
    const id = await kit.start(T0);
    await kit.tick(T0, ['a1', 'a2', 'f1']);
    for (const h of ['a1', 'a2']) await kit.finish(h, T0 + 5 * MIN, 'succeeded', { replaced: REPLACED });
    await kit.tick(T0 + 5 * MIN, ['a1', 'a2', 'f1']);
    // Health data for only 20 minutes after the install: 2 x 20 min, but the ring needs half its soak per host (2 host-hours).
    await seedSamples(kit.db, ['a1', 'a2'], T0 + 5 * MIN, T0 + 25 * MIN, 5 * MIN);
    await kit.tick(T0 + 2 * HOUR + 5 * MIN, ['a1', 'a2', 'f1']);
    const ring = await kit.ring(id, 'Test');
    expect(ring.state).toBe('soaking');
    expect(ring.note).toMatch(/^health gate: too little evidence yet for .* \(0\.67 of 2\.00 host-hours\)/);
    expect(await kit.commandsOf('f1')).toEqual([]);
    // The ceiling: one more soak (2 h).
    await kit.tick(T0 + 4 * HOUR + 4 * MIN, ['a1', 'a2', 'f1']);
    expect((await kit.ring(id, 'Test')).state).toBe('soaking');
    expect(await kit.tick(T0 + 4 * HOUR + 5 * MIN, ['a1', 'a2', 'f1'])).toEqual(['f1']);
    expect((await kit.ring(id, 'Test')).note).toMatch(/^health gate: passed at its ceiling/);
    expect((await kit.audits('rollout.ring.passed'))[0]?.details['gate']).toMatchObject({ passedAtCeiling: true });
  });

  it('passes at the end of the soak when the class has enough evidence', async () => {
    await kit.editRing('Test', { soakHours: 1 });
    await kit.addHosts(['a1'], 'Test');
    const id = await kit.start(T0);
    await kit.tick(T0, ['a1']);
    await kit.finish('a1', T0, 'succeeded', { replaced: REPLACED });
    await kit.tick(T0, ['a1']);
    await seedSamples(kit.db, ['a1'], T0, T0 + HOUR, 5 * MIN);
    await kit.tick(T0 + HOUR, ['a1']);
    expect((await kit.ring(id, 'Test')).state).toBe('passed');
  });
});

describe('reliability decisions in the planner', () => {
  it('block starts no ring; hold starts none after the first; cautious halves waves and doubles the soak', async () => {
    await kit.editRing('Test', { soakHours: 1, waveSize: 4 });
    await kit.editRing('First', { deferralDays: 0 });
    const t = ['t1', 't2', 't3', 't4'];
    await kit.addHosts(t, 'Test');
    await kit.addHosts(['f1'], 'First');
    let decision: 'block' | 'hold' | 'stage' = 'block';
    kit.safety = {
      ...NEUTRAL_SAFETY,
      decisionsFor: async (_tx, patchIds) => new Map(patchIds.map((patchId) => [patchId, { patchId, decision, score: 40, confidence: 0.1, tier: null, cautious: decision !== 'block', reasons: [`score 40`] }])),
    };
    const id = await kit.start(T0);
    expect(await kit.tick(T0, [...t, 'f1'])).toEqual([]);
    expect((await kit.ring(id, 'Test')).note).toBe('reliability decision: block (pkg:openssl=1.1-1: score 40)');
    decision = 'hold';
    // Cautious: waves of 2 instead of 4.
    expect(await kit.tick(T0 + MIN, [...t, 'f1'])).toEqual(['t1', 't2']);
    for (const h of ['t1', 't2']) await kit.finish(h, T0 + 2 * MIN, 'succeeded');
    expect(await kit.tick(T0 + 2 * MIN, [...t, 'f1'])).toEqual(['t3', 't4']);
    for (const h of ['t3', 't4']) await kit.finish(h, T0 + 3 * MIN, 'succeeded');
    await kit.tick(T0 + 3 * MIN, [...t, 'f1']);
    // Soak doubled: 2 h.
    expect((await kit.ring(id, 'Test')).soakUntil).toEqual(new Date(T0 + 3 * MIN + 2 * HOUR));
    await kit.tick(T0 + 3 * MIN + 2 * HOUR, [...t, 'f1']);
    expect((await kit.ring(id, 'Test')).state).toBe('passed');
    expect(await kit.ring(id, 'First')).toMatchObject({ state: 'scheduled', note: 'reliability decision: hold, no further than the first ring (pkg:openssl=1.1-1: score 40)' });
    expect(await kit.commandsOf('f1')).toEqual([]);
    decision = 'stage';
    expect(await kit.tick(T0 + 4 * HOUR, [...t, 'f1'])).toEqual(['f1']);
  });
});

describe('with the product gates (safety/stats evaluateCohort)', () => {
  it('trips for the web class within two minutes of installs at a 2 s sample interval, rolls web back and lets db go on (the end-to-end shape)', async () => {
    kit.safety = NEUTRAL_SAFETY; // the real evaluateCohort
    await kit.editRing('Test', { soakHours: 1, health: { rollback: 'harmed', rebootGraceMin: 30, alpha: 0.01 } });
    await kit.editRing('First', { deferralDays: 0, soakHours: 0 });
    const hosts = ['w1', 'w2', 'd1', 'w3', 'd2'];
    await kit.addHosts(['w1', 'w2', 'd1'], 'Test');
    await kit.addHosts(['w3', 'd2'], 'First');
    await setRole(kit.db, ['w1', 'w2', 'w3'], 'web');
    await setRole(kit.db, ['d1', 'd2'], 'db');
    const id = await kit.start(T0);
    await kit.tick(T0, hosts);
    for (const h of ['w1', 'w2', 'd1']) await kit.finish(h, T0 + 5_000, 'succeeded', { replaced: REPLACED });
    await kit.tick(T0 + 5_000, hosts);
    const installed = T0 + 5_000;
    // Every host samples every 2 s; the probe fails on patched web hosts only.
    await seedSamples(kit.db, hosts, T0 - 10 * MIN, T0 + 2 * HOUR, 2000, (h, t) => ({ probeRuns: 1, probeFailures: (h === 'w1' || h === 'w2') && t >= installed ? 1 : 0 }));
    let trippedAt = 0;
    for (let t = installed + 10_000; t <= installed + 2 * MIN && trippedAt === 0; t += 10_000) {
      await kit.tick(t, hosts);
      if ((await kit.db.select().from(incidents)).length > 0) trippedAt = t;
    }
    expect(trippedAt, 'the gate did not trip within 2 minutes').toBeGreaterThan(0);
    const [incident] = await kit.db.select().from(incidents);
    expect(incident).toMatchObject({ gate: 'probe-failure', hostClass: WEB, harmedHosts: ['w1', 'w2'] });
    expect((await kit.host(id, 'w3')).state).toBe('blocked');
    expect((await kit.host(id, 'w1')).state).toBe('rolling-back');
    // db has shown enough health by the end of the soak: First starts for d2.
    expect(await kit.tick(installed + HOUR, hosts)).toContain('d2');
    expect((await kit.ring(id, 'Test')).state).toBe('passed');
  });
});
