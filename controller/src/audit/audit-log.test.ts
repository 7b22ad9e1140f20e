/**
 * The audit log is append-only in the database (migration 0005's trigger),
 * on PGlite and on PostgreSQL (DATABASE_URL): UPDATE, DELETE and TRUNCATE are
 * refused; only the retention job, inside its own transaction, deletes rows
 * older than its horizon (at least 30 days old). Export streams JSON lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, count, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { systemClock, nodeEd25519 } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { buildApp } from '../app';
import { loadConfig } from '../config';
import type { Db } from '../db/index';
import { auditLog } from '../db/schema/index';
import { createApiToken } from '../keys/api-tokens';
import { createLogger } from '../logger';
import { audit } from './audit';
import { pruneAuditLog } from './retention';

const DAY = 86_400_000;

describe('append-only audit log', () => {
  let tdb: TestDatabase;
  let db: Db;
  const now = new Date(); // the trigger compares with the database's now(): real time here

  const countRows = async () => Number((await db.select({ n: count() }).from(auditLog))[0]?.n);

  /** The driver's error, or the cause drizzle wrapped. */
  async function refusal(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause;
      return String(cause?.message ?? (err as Error).message);
    }
    throw new Error('expected the database to refuse');
  }

  beforeAll(async () => {
    tdb = await openTestDatabase();
    db = tdb.database.db;
    const entry = (action: string, daysAgo: number) => audit(db, new Date(now.getTime() - daysAgo * DAY), { actor: 'system', action, targetType: 'test', targetId: action });
    await entry('old.500', 500);
    await entry('old.401', 401);
    await entry('recent.399', 399);
    await entry('recent.10', 10);
    await entry('recent.0', 0);
  }, 60_000);

  afterAll(async () => {
    await tdb?.cleanup();
  });

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    const before = await countRows();
    expect(await refusal(db.update(auditLog).set({ actor: 'someone-else' }))).toMatch(/append-only: UPDATE refused/);
    expect(await refusal(db.delete(auditLog).where(eq(auditLog.action, 'recent.0')))).toMatch(/append-only: DELETE refused/);
    expect(await refusal(db.delete(auditLog).where(eq(auditLog.action, 'old.500')))).toMatch(/append-only: DELETE refused/);
    expect(await refusal(db.execute(sql`truncate audit_log`))).toMatch(/append-only: TRUNCATE refused/);
    expect(await countRows()).toBe(before);
    expect((await db.select().from(auditLog).where(eq(auditLog.actor, 'someone-else'))).length).toBe(0);
  });

  it('refuses a retention horizon under 30 days and rows younger than the horizon', async () => {
    const before = await countRows();
    const young = new Date(now.getTime() - 5 * DAY).toISOString();
    expect(
      await refusal(
        db.transaction(async (tx) => {
          await tx.execute(sql`select set_config('patchfleet.audit_retention_before', ${young}, true)`);
          await tx.delete(auditLog);
        }),
      ),
    ).toMatch(/less than 30 days old/);
    const horizon = new Date(now.getTime() - 450 * DAY).toISOString();
    expect(
      await refusal(
        db.transaction(async (tx) => {
          await tx.execute(sql`select set_config('patchfleet.audit_retention_before', ${horizon}, true)`);
          await tx.delete(auditLog).where(eq(auditLog.action, 'old.401')); // 401 days old: younger than a 450-day horizon
        }),
      ),
    ).toMatch(/append-only: DELETE refused/);
    expect(await countRows()).toBe(before);
  });

  it('the retention job deletes only rows older than its horizon, audits that, and leaves the guard in place', async () => {
    await expect(pruneAuditLog(db, now, 29)).rejects.toThrow(/at least 30 days/);
    const result = await pruneAuditLog(db, now, 400);
    expect(result).toMatchObject({ ran: true, deleted: 2 });
    const rows = await db.select().from(auditLog).orderBy(asc(auditLog.id));
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['recent.399', 'recent.10', 'recent.0', 'audit.retention']));
    expect(rows.map((r) => r.action)).not.toContain('old.500');
    expect(rows.find((r) => r.action === 'audit.retention')?.details).toMatchObject({ deleted: 2, retentionDays: 400 });
    // The setting lived only in the job's transaction: an ordinary DELETE is refused again.
    expect(await refusal(db.delete(auditLog).where(eq(auditLog.action, 'recent.399')))).toMatch(/append-only: DELETE refused/);
    expect((await pruneAuditLog(db, now, 400)).deleted).toBe(0);
  });
});

describe('audit export', () => {
  let tdb: TestDatabase;
  let app: FastifyInstance;
  let admin = '';
  let helpdesk = '';

  beforeAll(async () => {
    tdb = await openTestDatabase();
    const db = tdb.database.db;
    app = await buildApp(
      { config: loadConfig({ dataDir: tdb.dataDir }, {}), db, dbKind: tdb.database.kind, bus: tdb.database.bus, clock: systemClock, log: createLogger({ level: 'silent' }), controllerId: 'ctl_test', commandPublicKey: nodeEd25519.generateKeyPair().publicKey },
      { tls: undefined },
    );
    await app.ready();
    admin = (await createApiToken(db, 'admin', 'admin', new Date())).token;
    helpdesk = (await createApiToken(db, 'helpdesk', 'helpdesk', new Date())).token;
    for (let i = 0; i < 2500; i += 500) {
      await db.insert(auditLog).values(
        Array.from({ length: 500 }, (_, j) => ({ at: new Date(Date.UTC(2026, 0, 1) + (i + j) * 60_000), actor: 'system', action: 'test.bulk', targetType: 'n', targetId: String(i + j) })),
      );
    }
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await tdb?.cleanup();
  });

  const get = (url: string, token = admin) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

  it('streams every entry in [since, until) as JSON lines, oldest first, across pages, and audits the export', async () => {
    const res = await get('/api/v1/audit/export?since=2026-01-01T00:00:00Z&until=2026-01-02T12:00:00Z&format=jsonl');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = res.body.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: number; at: string; targetId: string; action: string });
    expect(lines).toHaveLength(36 * 60); // 2,160 minutes: more than two pages of 1,000
    expect(lines[0]).toMatchObject({ at: '2026-01-01T00:00:00.000Z', targetId: '0', action: 'test.bulk' });
    expect(lines.at(-1)).toMatchObject({ at: '2026-01-02T11:59:00.000Z' });
    expect(lines.every((l, i) => i === 0 || l.id > (lines[i - 1]?.id ?? 0))).toBe(true);
    const all = await get('/api/v1/audit/export');
    expect(all.body.trimEnd().split('\n')).toHaveLength(2502); // every entry, and both exports' own records (each is written before it streams)
    expect(all.body).toContain('"action":"audit.export"');
  });

  it('refuses bad ranges and non-admins', async () => {
    expect(JSON.parse((await get('/api/v1/audit/export?since=yesterday')).body)).toMatchObject({ error: { code: 'PF_ERR_VALIDATION' } });
    expect((await get('/api/v1/audit/export?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z')).statusCode).toBe(400);
    expect((await get('/api/v1/audit/export?format=csv')).statusCode).toBe(400);
    expect((await get('/api/v1/audit/export', helpdesk)).statusCode).toBe(403);
  });
});
