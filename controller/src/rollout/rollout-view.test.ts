/** What the rollout views read besides the rollout itself: hosts' names beside their ids, and rollouts counted by state (for /metrics). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { hosts, rolloutHosts, rollouts } from '../db/schema/index';
import { countRolloutsByState, getRolloutHosts } from './rollout-view';

let tdb: TestDatabase;
const now = new Date('2026-11-23T12:00:00Z');

beforeAll(async () => {
  tdb = await openTestDatabase();
  const db = tdb.database.db;
  await db.insert(hosts).values([
    { id: 'h-a', hostname: 'web-a', enrolledAt: now },
    { id: 'h-b', hostname: 'web-b', enrolledAt: now },
  ]);
  const content = { patches: [], packages: [{ name: 'x', version: '2.0' }] };
  await db.insert(rollouts).values([
    { id: 'ro_1', name: 'one', content, state: 'active', releasedAt: now, createdBy: 'system', createdAt: now, updatedAt: now },
    { id: 'ro_2', name: 'two', content, state: 'active', releasedAt: now, createdBy: 'system', createdAt: now, updatedAt: now },
    { id: 'ro_3', name: 'three', content, state: 'halted', releasedAt: now, createdBy: 'system', createdAt: now, updatedAt: now },
  ]);
  await db.insert(rolloutHosts).values([
    { rolloutId: 'ro_1', hostId: 'h-b', ringId: 'rg_first', state: 'pending', stateAt: now },
    { rolloutId: 'ro_1', hostId: 'h-a', ringId: 'rg_first', state: 'pending', stateAt: now },
  ]);
});

afterAll(async () => {
  await tdb?.cleanup();
});

describe('rollout views', () => {
  it('give every host of a rollout its hostname next to its id', async () => {
    const rows = await getRolloutHosts(tdb.database.db, 'ro_1');
    expect(rows.map((r) => [r.hostId, r.hostname])).toEqual([
      ['h-a', 'web-a'],
      ['h-b', 'web-b'],
    ]);
  });

  it('count rollouts by state, every state present', async () => {
    expect(await countRolloutsByState(tdb.database.db)).toEqual({ active: 2, paused: 0, halted: 1, cancelled: 0, completed: 0, 'rolling-back': 0, 'rolled-back': 0 });
  });
});
