/** The rollout planner round by round, on a real database, with explicit rollout-clock times. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, HOUR, MIN, RolloutKit, T0 } from './rollout-kit.test-support';
import { expireCommands } from '../commands/command-store';
import { rolloutHosts } from '../db/schema/index';
import { addFreeze, approveRing, changeRolloutState } from './rollout-control';
import { RUN_ALLOWANCE_MS } from './rollout-tick';

const WINDOW_2AM = [{ cron: '0 2 * * *', timeZone: 'UTC', durationMin: 60 }];
const iso = (ms: number) => new Date(ms).toISOString();

let kit: RolloutKit;
beforeEach(async () => {
  kit = await RolloutKit.open();
});
afterEach(async () => {
  await kit.cleanup();
});

describe('tickRollouts: ring order, deferral, windows', () => {
  it('keeps a ring waiting for the previous ring, then for its deferral, then for a window; later rings get no command before', async () => {
    await kit.editRing('Test', { soakHours: 1 });
    await kit.editRing('First', { windows: [{ cron: '0 6 * * *', timeZone: 'UTC', durationMin: 60 }] });
    await kit.addHosts(['t1'], 'Test');
    await kit.addHosts(['f1'], 'First');
    const id = await kit.start(T0);
    expect((await kit.ring(id, 'First')).eligibleAt.getTime()).toBe(T0 + DAY);

    expect(await kit.tick(T0 + HOUR, ['t1', 'f1'])).toEqual(['t1']);
    expect((await kit.ring(id, 'Test')).state).toBe('installing');
    expect(await kit.ring(id, 'First')).toMatchObject({ state: 'waiting', note: 'waiting for the previous ring to pass' });

    await kit.finish('t1', T0 + 2 * HOUR, 'succeeded');
    expect(await kit.tick(T0 + 2 * HOUR, ['t1', 'f1'])).toEqual([]);
    expect((await kit.ring(id, 'Test')).state).toBe('soaking');
    expect((await kit.ring(id, 'First')).note).toBe('waiting for the previous ring to pass');

    await kit.tick(T0 + 3 * HOUR, ['t1', 'f1']);
    expect((await kit.ring(id, 'Test')).state).toBe('passed');
    expect(await kit.ring(id, 'First')).toMatchObject({ state: 'waiting', note: `deferred until ${iso(T0 + DAY)}` });

    await kit.tick(T0 + DAY - 1, ['f1']);
    expect((await kit.ring(id, 'First')).state).toBe('waiting');

    // Deferral over at midnight; the window opens at 06:00.
    await kit.tick(T0 + DAY, ['f1']);
    expect(await kit.ring(id, 'First')).toMatchObject({ state: 'scheduled', note: 'waiting for a maintenance window' });
    expect(await kit.commandsOf('f1')).toEqual([]);

    expect(await kit.tick(T0 + DAY + 6 * HOUR, ['f1'])).toEqual(['f1']);
    expect((await kit.ring(id, 'First')).state).toBe('installing');
    const [cmd] = await kit.commandsOf('f1');
    expect(cmd).toMatchObject({ action: 'install', params: { packages: [{ name: 'openssl', version: '1.1-1' }] }, rolloutId: id, ringId: 'rg_first' });
    expect((await kit.audits('rollout.ring.scheduled')).map((a) => a.details['ring'])).toEqual(['Test', 'First']);
  });

  it('holds a ring whose deferral is over while the previous ring has not passed', async () => {
    await kit.addHosts(['t1'], 'Test');
    await kit.addHosts(['f1'], 'First');
    // A USN published (T0) three days before the rollout starts: First's one-day deferral is long over.
    await kit.addUsn('USN-9000-1', T0, ['t1', 'f1']);
    const S = T0 + 3 * DAY;
    const id = await kit.start(S, { patches: ['USN-9000-1'], packages: [], releasedAt: undefined });
    expect((await kit.ring(id, 'First')).eligibleAt).toEqual(new Date(T0 + DAY));
    await kit.tick(S, ['t1', 'f1']);
    await kit.finish('t1', S + HOUR, 'succeeded');
    await kit.tick(S + HOUR, ['t1', 'f1']);
    expect((await kit.ring(id, 'Test')).state).toBe('soaking');
    expect(await kit.ring(id, 'First')).toMatchObject({ state: 'waiting', note: 'waiting for the previous ring to pass' });
    expect(await kit.commandsOf('f1')).toEqual([]);
    // Test soaks 24 h.
    expect(await kit.tick(S + 25 * HOUR, ['f1'])).toEqual(['f1']);
    expect((await kit.ring(id, 'Test')).state).toBe('passed');
  });

  it('orders nothing at 01:59 and orders at 02:00 in a 02:00 UTC 60-minute window; the command expires at the window end', async () => {
    await kit.editRing('Test', { windows: WINDOW_2AM });
    await kit.addHosts(['t1'], 'Test');
    const id = await kit.start(T0);
    expect(await kit.tick(T0 + 2 * HOUR - MIN, ['t1'])).toEqual([]);
    expect(await kit.ring(id, 'Test')).toMatchObject({ state: 'scheduled', note: 'waiting for a maintenance window' });
    expect(await kit.commandsOf('t1')).toEqual([]);

    expect(await kit.tick(T0 + 2 * HOUR, ['t1'])).toEqual(['t1']);
    const [cmd] = await kit.commandsOf('t1');
    expect(cmd?.issuedAt.getTime()).toBe(T0 + 2 * HOUR);
    expect(cmd?.notAfter.getTime()).toBe(T0 + 3 * HOUR);
    // Halfway through the window the command still ends with it.
    await kit.addHosts(['t2'], 'Test');
    await kit.db.transaction(async (tx) => {
      await tx.insert(rolloutHosts).values({ rolloutId: id, hostId: 't2', ringId: 'rg_test', state: 'pending', stateAt: new Date(T0), packages: [{ name: 'openssl', version: '1.1-1' }] });
    });
    expect(await kit.tick(T0 + 2 * HOUR + 30 * MIN, ['t2'])).toEqual(['t2']);
    expect((await kit.commandsOf('t2'))[0]?.notAfter.getTime()).toBe(T0 + 3 * HOUR);
  });
});

describe('tickRollouts: waves', () => {
  it('orders waveSize hosts and no new wave until the whole wave finished', async () => {
    await kit.editRing('Test', { waveSize: 2 });
    const all = ['h1', 'h2', 'h3', 'h4', 'h5'];
    await kit.addHosts(all, 'Test');
    const id = await kit.start(T0);
    expect(await kit.tick(T0, all)).toEqual(['h1', 'h2']);
    expect((await kit.ring(id, 'Test')).wave).toBe(1);
    await kit.finish('h1', T0 + MIN, 'succeeded');
    expect(await kit.tick(T0 + 2 * MIN, all)).toEqual([]);
    await kit.finish('h2', T0 + 3 * MIN, 'succeeded');
    expect(await kit.tick(T0 + 4 * MIN, all)).toEqual(['h3', 'h4']);
    expect(await kit.host(id, 'h3')).toMatchObject({ state: 'installing', wave: 2, attempts: 1 });
    expect((await kit.ring(id, 'Test')).wave).toBe(2);
    expect((await kit.allCommands()).length).toBe(4);
  });

  it('never has more than maxConcurrent installs out at once', async () => {
    await kit.editRing('Test', { maxConcurrent: 1 });
    const all = ['h1', 'h2', 'h3'];
    await kit.addHosts(all, 'Test');
    await kit.start(T0);
    expect(await kit.tick(T0, all)).toEqual(['h1']);
    expect(await kit.tick(T0 + MIN, all)).toEqual([]);
    await kit.finish('h1', T0 + 2 * MIN, 'succeeded');
    expect(await kit.tick(T0 + 3 * MIN, all)).toEqual(['h2']);
    await kit.finish('h2', T0 + 4 * MIN, 'succeeded');
    expect(await kit.tick(T0 + 5 * MIN, all)).toEqual(['h3']);
  });
});

describe('tickRollouts: offline hosts', () => {
  it('skips offline and stale hosts, promotes without them, catches them in the next window, and returns undelivered installs to pending', async () => {
    await kit.editRing('Test', { windows: WINDOW_2AM, soakHours: 0 });
    await kit.addHosts(['a', 'b', 'c', 'd'], 'Test');
    const id = await kit.start(T0);
    // d was seen an hour ago: stale.
    await kit.online(['d'], T0 + HOUR);
    expect(await kit.tick(T0 + 2 * HOUR, ['a', 'b'])).toEqual(['a', 'b']);
    expect((await kit.host(id, 'c')).state).toBe('pending');
    expect((await kit.host(id, 'd')).state).toBe('pending');
    expect(await kit.commandsOf('c')).toEqual([]);
    expect(await kit.commandsOf('d')).toEqual([]);

    await kit.finish('a', T0 + 2 * HOUR + 10 * MIN, 'succeeded');
    await kit.finish('b', T0 + 2 * HOUR + 10 * MIN, 'succeeded');
    await kit.tick(T0 + 2 * HOUR + 20 * MIN, ['a', 'b']);
    expect((await kit.ring(id, 'Test')).state).toBe('passed');
    expect((await kit.rollout(id)).state).toBe('active');

    // c comes online after the window: nothing until the next one.
    expect(await kit.tick(T0 + 4 * HOUR, ['c'])).toEqual([]);
    expect(await kit.tick(T0 + DAY + 2 * HOUR, ['c'])).toEqual(['c']);
    const [cmd] = await kit.commandsOf('c');
    expect(cmd?.notAfter.getTime()).toBe(T0 + DAY + 3 * HOUR);

    // c drops off before it accepts: the install times out undelivered and c is pending again, not failed.
    await kit.disconnect('c', T0 + DAY + 2 * HOUR + MIN);
    await kit.tick(T0 + DAY + 3 * HOUR);
    const [expired] = await kit.commandsOf('c');
    expect(expired).toMatchObject({ state: 'timed_out', errorCode: 'PF_ERR_COMMAND_UNDELIVERED' });
    expect(await kit.host(id, 'c')).toMatchObject({ state: 'pending', commandId: null, errorCode: null, attempts: 1 });
    expect((await kit.rollout(id)).state).toBe('active');
    // And it is ordered again in the window after.
    expect(await kit.tick(T0 + 2 * DAY + 2 * HOUR, ['c'])).toEqual(['c']);
    expect((await kit.host(id, 'c')).attempts).toBe(2);
  });

  it('counts an accepted install that never reports as failed once the run allowance is over', async () => {
    await kit.editRing('Test', { windows: WINDOW_2AM, promotion: { minHostsDone: 1, maxFailureRate: 1 } });
    await kit.addHosts(['a'], 'Test');
    const id = await kit.start(T0);
    await kit.tick(T0 + 2 * HOUR, ['a']);
    const [cmd] = await kit.commandsOf('a');
    if (!cmd) throw new Error('no command');
    await kit.report('a', cmd.id, 'acknowledged', T0 + 2 * HOUR + MIN);
    await kit.tick(T0 + 3 * HOUR + RUN_ALLOWANCE_MS - 1, ['a']);
    expect((await kit.host(id, 'a')).state).toBe('installing');
    await kit.tick(T0 + 3 * HOUR + RUN_ALLOWANCE_MS, ['a']);
    expect(await kit.host(id, 'a')).toMatchObject({ state: 'failed', errorCode: 'PF_ERR_COMMAND_NO_RESULT' });
  });
});

describe('tickRollouts: ramp', () => {
  const first = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'];
  const all = ['t1', ...first];

  it('a ring after the first ring with hosts at most doubles the hosts given the patch, wave by wave as results come', async () => {
    await kit.editRing('Test', { soakHours: 0 });
    await kit.editRing('First', { deferralDays: 0 });
    await kit.addHosts(['t1'], 'Test');
    await kit.addHosts(first, 'First');
    const id = await kit.start(T0, { rings: ['Test', 'First'] });
    expect(await kit.tick(T0, all)).toEqual(['t1']);
    await kit.finish('t1', T0 + MIN, 'succeeded');
    // One host has the patch and its result is in: one more.
    expect(await kit.tick(T0 + 2 * MIN, all)).toEqual(['f1']);
    expect(await kit.tick(T0 + 3 * MIN, all)).toEqual([]);
    expect((await kit.ring(id, 'First')).note).toBe('ramping up: waiting for the results of 1 install(s) before more hosts (1 finished)');
    await kit.finish('f1', T0 + 4 * MIN, 'failed');
    // A failure is a result too (and 1 of 1 at First's 5 % limit is chance: 5 % likely, not below it).
    expect(await kit.tick(T0 + 5 * MIN, all)).toEqual(['f2', 'f3']);
    // Two installing, two finished: no room until one reports.
    expect(await kit.tick(T0 + 6 * MIN, all)).toEqual([]);
    // Three finished, one installing: two more make five of six given, at most twice three.
    await kit.finish('f2', T0 + 7 * MIN, 'succeeded');
    expect(await kit.tick(T0 + 8 * MIN, all)).toEqual(['f4', 'f5']);
    await kit.finish('f3', T0 + 9 * MIN, 'succeeded');
    expect(await kit.tick(T0 + 10 * MIN, all)).toEqual(['f6']);
    expect((await kit.rollout(id)).state).toBe('active');
  });

  it('ramps each host class on its own results; a class given nothing yet gets one host', async () => {
    await kit.editRing('Test', { soakHours: 0 });
    await kit.editRing('First', { deferralDays: 0 });
    await kit.addHosts(['t1'], 'Test', { model: 'A' });
    await kit.addHosts(['a1', 'a2', 'a3'], 'First', { model: 'A' });
    await kit.addHosts(['b1', 'b2', 'b3', 'b4'], 'First', { model: 'B' });
    const hosts = ['t1', 'a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'b4'];
    const id = await kit.start(T0, { rings: ['Test', 'First'] });
    expect(await kit.tick(T0, hosts)).toEqual(['t1']);
    await kit.finish('t1', T0 + MIN, 'succeeded');
    // Class A has one result (t1): one more. Class B has nothing yet: one probe.
    expect(await kit.tick(T0 + 2 * MIN, hosts)).toEqual(['a1', 'b1']);
    await kit.finish('b1', T0 + 3 * MIN, 'succeeded');
    // B's result opens B only: A still waits for a1.
    expect(await kit.tick(T0 + 4 * MIN, hosts)).toEqual(['b2']);
    expect(await kit.tick(T0 + 5 * MIN, hosts)).toEqual([]);
    expect((await kit.ring(id, 'First')).note).toBe('ramping up: waiting for the results of 2 install(s) before more hosts (2 finished)');
    await kit.finish('a1', T0 + 6 * MIN, 'succeeded');
    expect(await kit.tick(T0 + 7 * MIN, hosts)).toEqual(['a2', 'a3']);
  });

  it('does not ramp a ring with waves of its own', async () => {
    await kit.editRing('Test', { soakHours: 0 });
    await kit.editRing('First', { deferralDays: 0, waveSize: 4 });
    await kit.addHosts(first, 'First');
    await kit.addHosts(['t1'], 'Test');
    // Test has a host: First is the second ring with hosts but orders its own waves of 4.
    await kit.start(T0, { rings: ['Test', 'First'] });
    await kit.tick(T0, all);
    await kit.finish('t1', T0 + MIN, 'succeeded');
    expect(await kit.tick(T0 + 2 * MIN, all)).toEqual(['f1', 'f2', 'f3', 'f4']);
  });

  it('orders a whole ring at once when no ring before it had hosts', async () => {
    await kit.editRing('First', { deferralDays: 0 });
    await kit.addHosts(first, 'First');
    await kit.start(T0, { rings: ['Test', 'First'] });
    expect((await kit.tick(T0, first)).sort()).toEqual(first);
  });

  it('does not ramp an expedited rollout', async () => {
    await kit.addHosts(['t1'], 'Test');
    await kit.addHosts(first, 'First');
    await kit.start(T0, { rings: ['Test', 'First'], expedite: true });
    await kit.tick(T0, all);
    await kit.finish('t1', T0 + MIN, 'succeeded');
    expect((await kit.tick(T0 + 2 * MIN, all)).sort()).toEqual(first);
  });
});

describe('tickRollouts: promotion and soak', () => {
  it('passes a ring only after soakHours; the next ring starts in the round it passes', async () => {
    await kit.editRing('First', { deferralDays: 0 });
    await kit.addHosts(['t1'], 'Test');
    await kit.addHosts(['f1'], 'First');
    const id = await kit.start(T0, { rings: ['Test', 'First'] });
    await kit.tick(T0, ['t1', 'f1']);
    await kit.finish('t1', T0 + HOUR, 'succeeded');
    await kit.tick(T0 + HOUR, ['t1', 'f1']);
    expect((await kit.ring(id, 'Test')).soakUntil?.getTime()).toBe(T0 + 25 * HOUR);
    expect(await kit.tick(T0 + 25 * HOUR - 1, ['f1'])).toEqual([]);
    expect((await kit.ring(id, 'Test')).state).toBe('soaking');
    expect(await kit.tick(T0 + 25 * HOUR, ['f1'])).toEqual(['f1']);
    expect((await kit.ring(id, 'Test')).state).toBe('passed');
    expect((await kit.ring(id, 'First')).state).toBe('installing');
    await kit.finish('f1', T0 + 26 * HOUR, 'succeeded');
    await kit.tick(T0 + 26 * HOUR);
    await kit.tick(T0 + 50 * HOUR);
    expect((await kit.ring(id, 'First')).state).toBe('passed');
    expect((await kit.rollout(id)).state).toBe('completed');
  });

  it('does not promote before minHostsDone hosts succeeded', async () => {
    await kit.editRing('Test', { soakHours: 0, promotion: { minHostsDone: 2, maxFailureRate: 0 } });
    await kit.addHosts(['a', 'b', 'c'], 'Test');
    const id = await kit.start(T0);
    await kit.tick(T0, ['a']);
    await kit.finish('a', T0 + MIN, 'succeeded');
    await kit.tick(T0 + 2 * MIN, ['a']);
    expect((await kit.ring(id, 'Test')).state).toBe('installing');
    await kit.tick(T0 + 3 * MIN, ['b']);
    await kit.finish('b', T0 + 4 * MIN, 'succeeded');
    await kit.tick(T0 + 5 * MIN);
    expect((await kit.ring(id, 'Test')).state).toBe('passed');
    expect((await kit.host(id, 'c')).state).toBe('pending');
  });

  it('expedite skips soak and deferral', async () => {
    await kit.addHosts(['t1'], 'Test');
    await kit.addHosts(['f1'], 'First');
    const id = await kit.start(T0, { expedite: true });
    expect((await kit.ring(id, 'First')).eligibleAt.getTime()).toBe(T0);
    await kit.tick(T0, ['t1', 'f1']);
    await kit.finish('t1', T0 + HOUR, 'succeeded');
    expect(await kit.tick(T0 + HOUR, ['t1', 'f1'])).toEqual(['f1']);
    expect((await kit.ring(id, 'Test')).state).toBe('passed');
  });
});

describe('tickRollouts: halts', () => {
  it('halts the ring and the rollout when the failure rate passes the limit, cancels queued commands; resume makes it active again', async () => {
    await kit.editRing('Test', { promotion: { minHostsDone: 1, maxFailureRate: 0.01 } });
    await kit.addHosts(['a', 'b', 'c'], 'Test');
    const id = await kit.start(T0);
    await kit.tick(T0, ['a', 'b', 'c']);
    await kit.finish('a', T0 + MIN, 'succeeded');
    await kit.finish('b', T0 + MIN, 'failed');
    // 1 of 2 failed: 50 % > 1 %, and one failure or more in 2 installs is 2 % likely at 1 % (ring-failures.ts).
    expect(await kit.tick(T0 + 2 * MIN, ['a', 'b', 'c'])).toEqual([]);
    expect(await kit.ring(id, 'Test')).toMatchObject({ state: 'halted' });
    const halted = await kit.rollout(id);
    expect(halted.state).toBe('halted');
    expect(halted.stateReason).toBe('ring Test: 1 of 2 hosts failed (50 % > 1 %; 2 % likely by chance at 1 %)');
    const [cCmd] = await kit.commandsOf('c');
    expect(cCmd).toMatchObject({ state: 'cancelled', errorCode: 'PF_ERR_COMMAND_CANCELLED' });
    expect((await kit.commandsOf('a'))[0]?.state).toBe('succeeded');
    expect(await kit.host(id, 'b')).toMatchObject({ state: 'failed', errorCode: 'PF_ERR_APT_FAILED' });
    // Halted rollouts are not planned.
    expect(await kit.tick(T0 + 3 * MIN, ['a', 'b', 'c'])).toEqual([]);

    await kit.db.transaction((tx) => changeRolloutState(tx, id, 'resume', { actor: 'token:tk_admin', realNow: T0 + 4 * MIN }));
    expect((await kit.rollout(id)).state).toBe('active');
    expect((await kit.ring(id, 'Test')).state).toBe('installing');
    expect((await kit.audits('rollout.resume')).map((a) => a.details)).toEqual([{ from: 'halted', to: 'active', reason: null }]);

    // Resume retries the failed host (and orders the one whose command the halt cancelled); the old failure no longer halts it.
    expect(await kit.host(id, 'b')).toMatchObject({ state: 'pending', errorCode: null });
    expect((await kit.tick(T0 + 5 * MIN, ['a', 'b', 'c'])).sort()).toEqual(['b', 'c']);
    await kit.finish('b', T0 + 6 * MIN, 'succeeded');
    await kit.finish('c', T0 + 6 * MIN, 'succeeded');
    await kit.tick(T0 + 7 * MIN, ['a', 'b', 'c']);
    expect((await kit.ring(id, 'Test')).state).not.toBe('halted');
    expect((await kit.rollout(id)).state).toBe('active');
    expect((await kit.commandsOf('b')).filter((c) => c.action === 'install')).toHaveLength(2);
  });

  it('does not halt on failures that chance explains at the limit: 1 of 14 at 5 % goes on, 3 of 16 halt', async () => {
    await kit.editRing('Test', { promotion: { minHostsDone: 1, maxFailureRate: 0.05 } });
    const hosts = Array.from({ length: 17 }, (_, i) => `h${String(i).padStart(2, '0')}`);
    await kit.addHosts(hosts, 'Test');
    const id = await kit.start(T0);
    await kit.tick(T0, hosts);
    // 14 finish, one of them failed (7 % > 5 %): one failure or more in 14 installs is 51 % likely at 5 %.
    for (const [i, h] of hosts.slice(0, 14).entries()) await kit.finish(h, T0 + MIN, i === 0 ? 'failed' : 'succeeded');
    await kit.tick(T0 + 2 * MIN, hosts);
    expect((await kit.rollout(id)).state).toBe('active');
    expect((await kit.ring(id, 'Test')).state).toBe('installing');
    // Two more fail: 3 of 16 is 4.3 % likely at 5 %.
    await kit.finish('h14', T0 + 3 * MIN, 'failed');
    await kit.finish('h15', T0 + 3 * MIN, 'failed');
    await kit.tick(T0 + 4 * MIN, hosts);
    const halted = await kit.rollout(id);
    expect(halted.state).toBe('halted');
    expect(halted.stateReason).toBe('ring Test: 3 of 16 hosts failed (19 % > 5 %; 4.3 % likely by chance at 5 %)');
    // The host still installing has its command cancelled.
    expect((await kit.commandsOf('h16'))[0]).toMatchObject({ state: 'cancelled' });
  });

  /** Test holds one host, whose install fails; the round after its result. Returns the rollout. */
  async function oneHostFails(maxFailureRate: number): Promise<string> {
    await kit.editRing('Test', { promotion: { minHostsDone: 1, maxFailureRate } });
    await kit.addHosts(['a'], 'Test');
    const id = await kit.start(T0);
    await kit.tick(T0, ['a']);
    await kit.finish('a', T0 + MIN, 'failed');
    await kit.tick(T0 + 2 * MIN, ['a']);
    return id;
  }

  it('halts a ring whose failures leave it no way to pass, even when chance may explain them', async () => {
    // 1 of 1 at 5 % is 5 % likely (not below 5 %), but the ring has nothing left to install and no success.
    const id = await oneHostFails(0.05);
    const halted = await kit.rollout(id);
    expect(halted.state).toBe('halted');
    expect(halted.stateReason).toBe('ring Test: 1 of 1 hosts failed and 0 succeeded, fewer than the 1 it needs to pass, with no host left to install');
  });

  it('never halts a ring whose limit is 1 (100 %), even when its failures leave it no way to pass', async () => {
    const id = await oneHostFails(1);
    expect((await kit.rollout(id)).state).toBe('active');
    expect((await kit.ring(id, 'Test')).state).toBe('installing');
  });

  it('lets a late agent result win: an install that timed out undelivered but did run is succeeded, never ordered twice', async () => {
    await kit.editRing('Test', { windows: WINDOW_2AM, soakHours: 0 });
    await kit.addHosts(['a', 'b'], 'Test');
    const id = await kit.start(T0);
    expect((await kit.tick(T0 + 2 * HOUR, ['a', 'b'])).sort()).toEqual(['a', 'b']);
    // Both commands expire before the agents say anything: both hosts go back to pending.
    await kit.tick(T0 + 3 * HOUR, ['a', 'b']);
    expect((await kit.host(id, 'a')).state).toBe('pending');
    const [aCmd] = await kit.commandsOf('a');
    const [bCmd] = await kit.commandsOf('b');
    // Then a's agent reports that it did install; b's that it is running it.
    await kit.report('a', aCmd?.id as string, 'succeeded', T0 + 3 * HOUR + MIN, { result: { replaced: [{ name: 'pf-test-hello', from: '1.0', to: '2.0' }] } });
    await kit.report('b', bCmd?.id as string, 'running', T0 + 3 * HOUR + MIN);
    await kit.tick(T0 + 3 * HOUR + 2 * MIN, ['a', 'b']);
    expect(await kit.host(id, 'a')).toMatchObject({ state: 'succeeded', replaced: [{ name: 'pf-test-hello', from: '1.0', to: '2.0' }] });
    expect(await kit.host(id, 'b')).toMatchObject({ state: 'installing', commandId: bCmd?.id });
    // b finishes; nobody gets a second install in the next window.
    await kit.report('b', bCmd?.id as string, 'succeeded', T0 + 3 * HOUR + 5 * MIN);
    await kit.tick(T0 + DAY + 2 * HOUR, ['a', 'b']);
    expect((await kit.host(id, 'b')).state).toBe('succeeded');
    expect((await kit.commandsOf('a')).filter((c) => c.action === 'install')).toHaveLength(1);
    expect((await kit.commandsOf('b')).filter((c) => c.action === 'install')).toHaveLength(1);
  });

  it('does not order a new wave in the round that halts', async () => {
    await kit.editRing('Test', { waveSize: 1 });
    await kit.addHosts(['a', 'b'], 'Test');
    const id = await kit.start(T0);
    await kit.tick(T0, ['a', 'b']);
    await kit.finish('a', T0 + MIN, 'failed');
    expect(await kit.tick(T0 + 2 * MIN, ['a', 'b'])).toEqual([]);
    expect((await kit.rollout(id)).state).toBe('halted');
    expect(await kit.commandsOf('b')).toEqual([]);
    expect((await kit.host(id, 'b')).state).toBe('pending');
  });
});

describe('tickRollouts: freezes', () => {
  it('holds scheduled rings during a global and a per-ring freeze and releases them after', async () => {
    await kit.editRing('Test', { soakHours: 0 });
    await kit.editRing('First', { deferralDays: 0 });
    await kit.addHosts(['t1'], 'Test');
    await kit.addHosts(['f1'], 'First');
    const ctx = { actor: 'token:tk_admin', realNow: T0 };
    await kit.db.transaction((tx) => addFreeze(tx, { ringId: null, startsAt: new Date(T0), endsAt: new Date(T0 + 2 * HOUR), reason: 'year end' }, ctx));
    await kit.db.transaction((tx) => addFreeze(tx, { ringId: 'rg_first', startsAt: new Date(T0), endsAt: new Date(T0 + 5 * HOUR), reason: 'payroll' }, ctx));
    await expect(kit.db.transaction((tx) => addFreeze(tx, { ringId: null, startsAt: new Date(T0), endsAt: new Date(T0), reason: 'x' }, ctx))).rejects.toMatchObject({ code: 'PF_ERR_VALIDATION' });
    const id = await kit.start(T0);

    expect(await kit.tick(T0 + HOUR, ['t1', 'f1'])).toEqual([]);
    expect(await kit.ring(id, 'Test')).toMatchObject({ state: 'scheduled', note: `change freeze until ${iso(T0 + 2 * HOUR)}: year end` });

    expect(await kit.tick(T0 + 2 * HOUR, ['t1', 'f1'])).toEqual(['t1']);
    await kit.finish('t1', T0 + 2 * HOUR + MIN, 'succeeded');
    expect(await kit.tick(T0 + 3 * HOUR, ['t1', 'f1'])).toEqual([]);
    expect((await kit.ring(id, 'Test')).state).toBe('passed');
    expect(await kit.ring(id, 'First')).toMatchObject({ state: 'scheduled', note: `change freeze until ${iso(T0 + 5 * HOUR)}: payroll` });

    expect(await kit.tick(T0 + 5 * HOUR, ['f1'])).toEqual(['f1']);
    expect((await kit.ring(id, 'First')).state).toBe('installing');
  });
});

describe('tickRollouts: approvals', () => {
  it('waits for two different admins on a fleet-wide ring, then installs', async () => {
    await kit.editRing('Broad', { deferralDays: 0, approvalRequired: true });
    await kit.addHosts(['b1'], 'Broad');
    const id = await kit.start(T0, { rings: ['Broad'], expedite: true });
    expect((await kit.ring(id, 'Broad')).approvalsNeeded).toBe(2);
    expect(await kit.tick(T0, ['b1'])).toEqual([]);
    expect(await kit.ring(id, 'Broad')).toMatchObject({ state: 'scheduled', note: 'awaiting approval (0 of 2)' });

    const approve = (tokenId: string, at: number) =>
      kit.db.transaction((tx) => approveRing(tx, id, 'Broad', { via: 'token', tokenId, name: tokenId, role: 'admin', personId: `token:${tokenId}`, personName: tokenId }, { actor: `token:${tokenId}`, realNow: at }));
    expect(await approve('tk_alice', T0 + MIN)).toEqual({ approvals: 1, needed: 2 });
    expect(await kit.tick(T0 + 2 * MIN, ['b1'])).toEqual([]);
    expect((await kit.ring(id, 'Broad')).note).toBe('awaiting approval (1 of 2)');
    await expect(approve('tk_alice', T0 + 3 * MIN)).rejects.toMatchObject({ code: 'PF_ERR_ALREADY_APPROVED' });
    expect(await approve('tk_bob', T0 + 4 * MIN)).toEqual({ approvals: 2, needed: 2 });
    await expect(approve('tk_carol', T0 + 5 * MIN)).rejects.toMatchObject({ code: 'PF_ERR_APPROVAL_NOT_NEEDED' });
    expect(await kit.tick(T0 + 6 * MIN, ['b1'])).toEqual(['b1']);
    expect((await kit.ring(id, 'Broad')).state).toBe('installing');
    expect((await kit.audits('rollout.approve')).map((a) => a.actor)).toEqual(['token:tk_alice', 'token:tk_bob']);
  });

  it('needs one approval on a small ring unless the rollout is expedited', async () => {
    await kit.editRing('Test', { approvalRequired: true });
    await kit.addHosts(['t1'], 'Test');
    const normal = await kit.start(T0);
    const expedited = await kit.start(T0, { expedite: true });
    expect((await kit.ring(normal, 'Test')).approvalsNeeded).toBe(1);
    expect((await kit.ring(expedited, 'Test')).approvalsNeeded).toBe(2);
    expect((await kit.ring(normal, 'First')).approvalsNeeded).toBe(0);
    await kit.tick(T0, ['t1']);
    expect((await kit.ring(normal, 'Test')).note).toBe('awaiting approval (0 of 1)');
    expect((await kit.ring(expedited, 'Test')).note).toBe('awaiting approval (0 of 2)');

    // Once the ring has started, approving it again is refused: the same admin hears "already approved", another "not in a state".
    await kit.db.transaction((tx) => approveRing(tx, normal, 'Test', { via: 'token', tokenId: 'tk_a', name: 'alice', role: 'admin', personId: 'token:tk_a', personName: 'alice' }, { actor: 'token:tk_a', realNow: T0 + MIN }));
    await kit.tick(T0 + 2 * MIN, ['t1']);
    expect((await kit.ring(normal, 'Test')).state).toBe('installing');
    const again = (by: { tokenId: string; name: string }) =>
      kit.db.transaction((tx) => approveRing(tx, normal, 'Test', { via: 'token', ...by, role: 'admin', personId: `token:${by.tokenId}`, personName: by.name }, { actor: `token:${by.tokenId}`, realNow: T0 + 3 * MIN })).then(
        () => 'accepted',
        (err: { code?: string }) => err.code,
      );
    expect(await again({ tokenId: 'tk_a', name: 'alice' })).toBe('PF_ERR_ALREADY_APPROVED');
    expect(await again({ tokenId: 'tk_b', name: 'bob' })).toBe('PF_ERR_ROLLOUT_STATE');
  });
});

describe('tickRollouts: deadlines', () => {
  it('marks hosts pending past their ring deadline once, with one audit row per ring and round', async () => {
    await kit.editRing('Test', { deadlineDays: 1 });
    await kit.editRing('First', { deferralDays: 0, deadlineDays: 2 });
    await kit.addHosts(['a', 'b', 'ok'], 'Test');
    await kit.addHosts(['f1'], 'First');
    const id = await kit.start(T0);
    await kit.tick(T0, ['ok']);
    await kit.finish('ok', T0 + MIN, 'succeeded');
    await kit.tick(T0 + DAY);
    expect(await kit.audits('rollout.deadline_missed')).toEqual([]);
    expect((await kit.host(id, 'a')).deadlineMissedAt).toBeNull();

    await kit.tick(T0 + DAY + MIN);
    const first = await kit.audits('rollout.deadline_missed');
    expect(first).toHaveLength(1);
    expect(first[0]?.details).toMatchObject({ ring: 'Test', deadline: iso(T0 + DAY) });
    expect([...(first[0]?.details['hosts'] as string[])].sort()).toEqual(['a', 'b']);
    expect((await kit.host(id, 'a')).deadlineMissedAt?.getTime()).toBe(T0 + DAY + MIN);
    expect((await kit.host(id, 'ok')).deadlineMissedAt).toBeNull();
    expect((await kit.host(id, 'f1')).deadlineMissedAt).toBeNull();

    await kit.tick(T0 + DAY + 2 * MIN);
    expect(await kit.audits('rollout.deadline_missed')).toHaveLength(1);
    expect((await kit.host(id, 'a')).deadlineMissedAt?.getTime()).toBe(T0 + DAY + MIN);

    await kit.tick(T0 + 2 * DAY + MIN);
    const all = await kit.audits('rollout.deadline_missed');
    expect(all).toHaveLength(2);
    expect(all[1]?.details).toMatchObject({ ring: 'First', hosts: ['f1'] });
  });
});

describe('tickRollouts: reboots', () => {
  it('orders reboots by the ring policy: when-required, never, always', async () => {
    await kit.addHosts(['req', 'noreq'], 'Test');
    await kit.start(T0, { rings: ['Test'] });
    await kit.tick(T0, ['req', 'noreq']);
    await kit.finish('req', T0 + MIN, 'succeeded', { rebootRequired: true });
    await kit.finish('noreq', T0 + MIN, 'succeeded', { rebootRequired: false });
    expect(await kit.tick(T0 + 2 * MIN)).toEqual(['req']);
    const reboot = (await kit.commandsOf('req')).find((c) => c.action === 'reboot');
    expect(reboot?.params).toEqual({ reason: expect.stringContaining('Patchfleet rollout'), delaySec: 60 });
    expect(reboot?.notAfter.getTime()).toBe(T0 + 2 * MIN + 4 * HOUR);
    expect((await kit.commandsOf('noreq')).some((c) => c.action === 'reboot')).toBe(false);

    await kit.editRing('Test', { reboot: { policy: 'never', deadlineHours: 4 } });
    await kit.addHosts(['never'], 'Test');
    await kit.start(T0 + HOUR, { rings: ['Test'] });
    await kit.tick(T0 + HOUR, ['never']);
    await kit.finish('never', T0 + HOUR + MIN, 'succeeded', { rebootRequired: true });
    expect(await kit.tick(T0 + HOUR + 2 * MIN)).toEqual([]);
    expect((await kit.commandsOf('never')).map((c) => c.action)).toEqual(['install']);

    await kit.editRing('Test', { reboot: { policy: 'always', deadlineHours: 8 } });
    await kit.addHosts(['always'], 'Test');
    await kit.start(T0 + 2 * HOUR, { rings: ['Test'] });
    await kit.tick(T0 + 2 * HOUR, ['always']);
    await kit.finish('always', T0 + 2 * HOUR + MIN, 'succeeded', {});
    expect(await kit.tick(T0 + 2 * HOUR + 2 * MIN)).toEqual(['always']);
    expect((await kit.commandsOf('always')).map((c) => c.action)).toEqual(['install', 'reboot']);
  });
});

describe('tickRollouts: rollback', () => {
  it('rolls back with the replaced versions the install reported and ends rolled-back', async () => {
    await kit.editRing('Test', { soakHours: 100 });
    await kit.addHosts(['a', 'b'], 'Test');
    const id = await kit.start(T0);
    await kit.tick(T0, ['a', 'b']);
    const replacedA = [{ name: 'openssl', from: '1.0-1', to: '1.1-1' }];
    const replacedB = [{ name: 'openssl', from: '1.0-1', to: '1.1-1' }, { name: 'libssl3', from: null, to: '1.1-1' }];
    await kit.finish('a', T0 + MIN, 'succeeded', { replaced: replacedA });
    await kit.finish('b', T0 + MIN, 'succeeded', { replaced: replacedB });
    await kit.tick(T0 + 2 * MIN);
    expect((await kit.host(id, 'b')).replaced).toEqual(replacedB);

    await kit.db.transaction((tx) => changeRolloutState(tx, id, 'rollback', { actor: 'token:tk_admin', realNow: T0 + 3 * MIN, reason: 'bad patch' }));
    expect((await kit.rollout(id)).state).toBe('rolling-back');
    // The ring was soaking; rolled back, it goes no further.
    expect((await kit.ring(id, 'Test')).state).toBe('cancelled');
    expect((await kit.tick(T0 + 4 * MIN, ['a', 'b'])).sort()).toEqual(['a', 'b']);
    const rbA = (await kit.commandsOf('a')).find((c) => c.action === 'rollback');
    const rbB = (await kit.commandsOf('b')).find((c) => c.action === 'rollback');
    expect(rbA?.params).toEqual({ replaced: replacedA });
    expect(rbB?.params).toEqual({ replaced: replacedB });
    expect((await kit.host(id, 'a')).state).toBe('rolling-back');

    await kit.finish('a', T0 + 5 * MIN, 'succeeded', {}, 'rollback');
    await kit.tick(T0 + 6 * MIN, ['a', 'b']);
    expect((await kit.host(id, 'a')).state).toBe('rolled-back');
    expect((await kit.rollout(id)).state).toBe('rolling-back');
    await kit.finish('b', T0 + 7 * MIN, 'succeeded', {}, 'rollback');
    await kit.tick(T0 + 8 * MIN, ['a', 'b']);
    expect((await kit.host(id, 'b')).state).toBe('rolled-back');
    expect((await kit.rollout(id)).state).toBe('rolled-back');
  });

  it('waits for installs still running when the rollback starts, and rolls them back too', async () => {
    await kit.addHosts(['a', 'b', 'c'], 'Test');
    const id = await kit.start(T0);
    await kit.tick(T0, ['a', 'b', 'c']);
    const replaced = [{ name: 'openssl', from: '1.0-1', to: '1.1-1' }];
    await kit.finish('a', T0 + MIN, 'succeeded', { replaced });
    const [bCmd] = await kit.commandsOf('b');
    if (!bCmd) throw new Error('no command');
    await kit.report('b', bCmd.id, 'running', T0 + MIN);
    await kit.db.transaction((tx) => changeRolloutState(tx, id, 'rollback', { actor: 'token:tk_admin', realNow: T0 + 2 * MIN }));
    // c's install was still queued: cancelled, c back to pending. b is running and cannot be recalled.
    expect((await kit.commandsOf('c'))[0]?.state).toBe('cancelled');
    expect((await kit.commandsOf('b'))[0]?.state).toBe('running');
    await kit.tick(T0 + 3 * MIN, ['a', 'b', 'c']);
    expect((await kit.host(id, 'c')).state).toBe('pending');
    await kit.finish('a', T0 + 4 * MIN, 'succeeded', {}, 'rollback');
    await kit.tick(T0 + 5 * MIN, ['a', 'b', 'c']);
    expect((await kit.host(id, 'a')).state).toBe('rolled-back');
    expect((await kit.rollout(id)).state).toBe('rolling-back');
    // b's install finishes after all: it is rolled back as well.
    await kit.report('b', bCmd.id, 'succeeded', T0 + 6 * MIN, { result: { replaced } });
    expect(await kit.tick(T0 + 7 * MIN, ['a', 'b', 'c'])).toEqual(['b']);
    await kit.finish('b', T0 + 8 * MIN, 'succeeded', {}, 'rollback');
    await kit.tick(T0 + 9 * MIN, ['a', 'b', 'c']);
    expect((await kit.host(id, 'b')).state).toBe('rolled-back');
    expect((await kit.rollout(id)).state).toBe('rolled-back');
  });

  it('marks a failed rollback and retries an undelivered one', async () => {
    await kit.addHosts(['a', 'b'], 'Test');
    const id = await kit.start(T0);
    await kit.tick(T0, ['a', 'b']);
    await kit.finish('a', T0 + MIN, 'succeeded', { replaced: [{ name: 'openssl', from: '1.0-1', to: '1.1-1' }] });
    await kit.finish('b', T0 + MIN, 'succeeded', { replaced: [{ name: 'openssl', from: '1.0-1', to: '1.1-1' }] });
    await kit.tick(T0 + 2 * MIN);
    await kit.db.transaction((tx) => changeRolloutState(tx, id, 'rollback', { actor: 'token:tk_admin', realNow: T0 + 3 * MIN }));
    await kit.tick(T0 + 3 * MIN, ['a', 'b']);
    await kit.finish('a', T0 + 4 * MIN, 'failed', {}, 'rollback');
    // b never accepts its rollback: it times out after an hour and b is rolled back again.
    await kit.db.transaction((tx) => expireCommands(tx, T0 + 3 * MIN + HOUR, RUN_ALLOWANCE_MS));
    await kit.tick(T0 + 3 * MIN + HOUR, ['a']);
    expect(await kit.host(id, 'a')).toMatchObject({ state: 'rollback-failed', errorCode: 'PF_ERR_APT_FAILED' });
    expect((await kit.host(id, 'b')).state).toBe('succeeded');
    expect(await kit.tick(T0 + 2 * HOUR, ['b'])).toEqual(['b']);
    expect((await kit.commandsOf('b')).filter((c) => c.action === 'rollback')).toHaveLength(2);
  });
});

describe('tickRollouts: what a round changed (live hints)', () => {
  it('names a rollout when the round orders installs or folds in an agent result, and none when nothing moved', async () => {
    await kit.addHosts(['t1'], 'Test');
    const id = await kit.start(T0);
    expect(await kit.tick(T0, ['t1'])).toEqual(['t1']);
    expect([...kit.changed]).toEqual([id]);

    // The install runs: nothing for the planner to change, nothing to announce.
    await kit.tick(T0 + MIN, ['t1']);
    expect([...kit.changed]).toEqual([]);

    // The agent's result arrives; the next round folds it in and the ring soaks.
    await kit.finish('t1', T0 + 2 * MIN, 'succeeded');
    await kit.tick(T0 + 3 * MIN, ['t1']);
    expect((await kit.ring(id, 'Test')).state).toBe('soaking');
    expect([...kit.changed]).toEqual([id]);
  });
});
