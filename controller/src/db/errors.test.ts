/**
 * Database failures map to what the caller should answer, from real driver
 * errors: a closed PGlite and a refused postgres.js connection are
 * "unavailable" (503, Retry-After, through the app), and the log line of a
 * failed query names the query but never its parameters.
 */
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { ManualClock, nodeEd25519 } from '@patchfleet/shared';
import { freePort } from '@patchfleet/test/support/processes';
import { buildApp } from '../app';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { classifyDbError, dbErrorToPfError } from './errors';
import { wrapPglite, type Db } from './index';

const clients: { end(): Promise<unknown> }[] = [];
afterAll(async () => {
  for (const c of clients) await c.end();
});

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('database error mapping', () => {
  it('a closed PGlite is unavailable', async () => {
    const database = await wrapPglite(await PGlite.create('memory://'), 'memory://closed', false);
    await database.close();
    const err = await thrown(database.db.execute(sql`select 1`));
    expect(classifyDbError(err)).toMatchObject({ kind: 'unavailable' });
    expect(dbErrorToPfError(err)).toMatchObject({ code: 'PF_ERR_DATABASE_UNAVAILABLE', status: 503, retryable: true });
  });

  it('a refused PostgreSQL connection (ECONNREFUSED) is unavailable, and so are 57P01 and 08006', async () => {
    const client = postgres(`postgres://postgres@127.0.0.1:${await freePort()}/none`, { max: 1, connect_timeout: 5, onnotice: () => {} });
    clients.push({ end: () => client.end({ timeout: 1 }) });
    const err = await thrown((drizzlePostgres(client) as unknown as Db).execute(sql`select ${'x'}::text`));
    expect(classifyDbError(err)).toMatchObject({ kind: 'unavailable' });
    expect(classifyDbError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toMatchObject({ kind: 'unavailable' });
    expect(classifyDbError(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: '08006' }) }))).toMatchObject({ kind: 'unavailable' });
    expect(classifyDbError(Object.assign(new Error('x'), { code: 'CONNECTION_CLOSED' }))).toMatchObject({ kind: 'unavailable' });
    expect(classifyDbError(Object.assign(new Error('dup'), { code: '23505' }))).toBeUndefined();
    expect(classifyDbError(new TypeError('a bug'))).toBeUndefined();
  });

  it('the app answers 503 with Retry-After when its database is gone, and logs no parameters or token hash', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const database = await wrapPglite(await PGlite.create('memory://'), 'memory://gone', false);
    const app = await buildApp(
      { config: loadConfig({ dataDir: '/nonexistent' }, {}), db: database.db, dbKind: 'pglite', bus: database.bus, clock: new ManualClock(0), log: createLogger({ level: 'info', destination: sink }), controllerId: 'ctl_test', commandPublicKey: nodeEd25519.generateKeyPair().publicKey },
      { tls: undefined },
    );
    await app.ready();
    await database.close();
    const token = 'pfa_this-token-never-existed-but-its-hash-is-a-query-parameter';
    const res = await app.inject({ method: 'GET', url: '/api/v1/hosts', headers: { authorization: `Bearer ${token}` } });
    await app.close();
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({ error: { code: 'PF_ERR_DATABASE_UNAVAILABLE', retryable: true } });
    const log = lines.join('');
    expect(log).toMatch(/PF_ERR_DATABASE_UNAVAILABLE/);
    expect(log).not.toContain(createHash('sha256').update(token).digest('hex'));
    expect(log).not.toContain(token);
  });

  it("the log names a failed query's text but never its parameters", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const database = await wrapPglite(await PGlite.create('memory://'), 'memory://q', false);
    const secret = 'c0ffee'.repeat(10);
    const err = await thrown(database.db.execute(sql`select ${secret}::int`));
    await database.close();
    createLogger({ level: 'info', destination: sink }).error({ err }, 'query failed');
    const log = lines.join('');
    expect(log).toMatch(/Failed query: select \$1::int/);
    expect(log).not.toContain(secret);
  });
});
