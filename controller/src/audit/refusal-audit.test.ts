/**
 * Refused attempts become one audit row per address, action and minute, on
 * a real (PGlite or PostgreSQL) database, written when the minute closes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { auditLog } from '../db/schema/index';
import { createLogger } from '../logger';
import { RefusalAudit, storableText } from './refusal-audit';

const T0 = Date.parse('2026-11-23T12:00:10Z');

describe('RefusalAudit', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await openTestDatabase();
  });
  afterAll(async () => {
    await tdb?.cleanup();
  });

  const rows = async (address: string) => (await tdb.database.db.select().from(auditLog)).filter((r) => r.targetId === address);

  it('writes one row per address and minute when the minute closes, counting 50 attempts with NUL hostnames', async () => {
    const clock = new ManualClock(T0);
    const refusals = new RefusalAudit(tdb.database.db, clock, createLogger({ level: 'silent' }));
    for (let i = 0; i < 50; i++) refusals.record('198.51.100.1', 'agent.enroll.refused', { code: 'PF_ERR_ENROLL_TOKEN_INVALID', hostname: `host\u0000${i % 2}`, requestId: `r${i}` });
    refusals.record('198.51.100.2', 'agent.enroll.refused', { code: 'PF_ERR_VALIDATION' });
    await refusals.flush();
    expect(await rows('198.51.100.1')).toEqual([]); // the minute is still open
    clock.advance(50_000); // the timer at the end of the minute writes the rows
    await refusals.flush();
    const [row, ...more] = await rows('198.51.100.1');
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      actor: 'anonymous',
      action: 'agent.enroll.refused',
      targetType: 'address',
      at: new Date('2026-11-23T12:00:00Z'),
      details: { count: 50, codes: { PF_ERR_ENROLL_TOKEN_INVALID: 50 }, hostnames: ['host\\x000', 'host\\x001'], window: { start: '2026-11-23T12:00:00.000Z', end: '2026-11-23T12:01:00.000Z' } },
    });
    expect((row!.details as { requestIds: string[] }).requestIds).toHaveLength(10); // examples, bounded
    expect(await rows('198.51.100.2')).toHaveLength(1);

    // The next minute is a new row; close() writes what is still open.
    refusals.record('198.51.100.1', 'agent.enroll.refused', { code: 'PF_ERR_RATE_LIMITED' });
    await refusals.close();
    expect((await rows('198.51.100.1')).map((r) => (r.details as { count: number }).count)).toEqual([50, 1]);
    refusals.record('198.51.100.1', 'agent.enroll.refused', { code: 'PF_ERR_RATE_LIMITED' }); // after close: ignored
    expect(await rows('198.51.100.1')).toHaveLength(2);
  });

  it('keeps memory bounded: addresses past maxAddresses are counted under *', async () => {
    const clock = new ManualClock(T0 + 3_600_000);
    const refusals = new RefusalAudit(tdb.database.db, clock, createLogger({ level: 'silent' }), { maxAddresses: 3 });
    for (let i = 0; i < 10; i++) refusals.record(`203.0.113.${i}`, 'connection.refused', { code: 'per-address-limit' });
    await refusals.close();
    expect(await rows('203.0.113.2')).toHaveLength(1);
    expect(await rows('203.0.113.3')).toEqual([]);
    expect((await rows('*')).map((r) => (r.details as { count: number }).count)).toEqual([7]);
  });

  it('makes attacker text storable: control characters escaped, lone surrogates replaced, length capped', () => {
    expect(storableText('a\u0000b\nc')).toBe('a\\x00b\\x0ac');
    expect(storableText('x\uD800y')).toBe('x\uFFFDy');
    expect(storableText('h'.repeat(1000))).toHaveLength(255);
    expect(storableText(42)).toBeUndefined();
  });
});
