/**
 * POST /api/v1/catalog/imports in process: admin only, bounded uploads,
 * per-table counts, the audit entry, a bad file refused by name with
 * nothing changed, and the re-assessment announced on the bus.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { ManualClock, nodeEd25519 } from '@patchfleet/shared';
import { cvrfPath, FIXTURE_PATHS, usnFileNames } from '@patchfleet/test/support/advisories';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { eq } from 'drizzle-orm';
import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { registerAuth } from '../auth';
import { API_PREFIX } from '../plugin';
import { registerErrorHandling } from '../errors';
import { catalogRoutes } from './catalog';
import { catalogRowCounts, CATALOG_CHANGED_CHANNEL } from '../../catalog/import-log';
import { loadConfig } from '../../config';
import type { ControllerContext } from '../../context';
import { auditLog } from '../../db/schema/index';
import { createApiToken } from '../../keys/api-tokens';
import { createLogger } from '../../logger';

const T0 = Date.parse('2026-11-23T12:00:00Z');

/** A multipart body by hand, as any HTTP client would send it. */
function multipart(files: { field: string; name: string; data: Buffer | string }[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = 'test-boundary-7a1c';
  const chunks: Buffer[] = [];
  for (const f of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    chunks.push(Buffer.isBuffer(f.data) ? f.data : Buffer.from(f.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('catalog imports API', { timeout: 60_000 }, () => {
  let tdb: TestDatabase;
  let app: FastifyInstance;
  let ctx: ControllerContext;
  const tokens = { admin: '', operator: '' };
  const announced: string[] = [];

  const upload = (token: string, files: Parameters<typeof multipart>[0]): Promise<LightMyRequestResponse> => {
    const body = multipart(files);
    return app.inject({ method: 'POST', url: '/api/v1/catalog/imports', headers: { ...body.headers, authorization: `Bearer ${token}` }, payload: body.payload });
  };
  const kevFile = () => ({ field: 'kev', name: 'known_exploited_vulnerabilities.json', data: readFileSync(FIXTURE_PATHS.kev) });

  beforeAll(async () => {
    tdb = await openTestDatabase();
    ctx = {
      config: loadConfig({ dataDir: tdb.dataDir }, {}),
      db: tdb.database.db,
      dbKind: tdb.database.kind,
      bus: tdb.database.bus,
      clock: new ManualClock(T0),
      log: createLogger({ level: 'silent' }),
      controllerId: 'ctl_test',
      commandPublicKey: nodeEd25519.generateKeyPair().publicKey,
    };
    await ctx.bus.subscribe(CATALOG_CHANGED_CHANNEL, (runId) => announced.push(runId));
    app = Fastify();
    registerErrorHandling(app);
    await app.register(cookie);
    registerAuth(app, ctx);
    // Small bounds so the test can cross them: 2 MB per file (KEV is ~1.5 MB), 3 MB in all, 40 files.
    await app.register(async (api) => catalogRoutes(api.withTypeProvider<TypeBoxTypeProvider>(), ctx, { maxFileBytes: 2_000_000, maxTotalBytes: 3_000_000, maxFiles: 40 }), { prefix: API_PREFIX });
    await app.ready();
    tokens.admin = (await createApiToken(tdb.database.db, 'admin', 'admin', new Date(T0))).token;
    tokens.operator = (await createApiToken(tdb.database.db, 'operator', 'operator', new Date(T0))).token;
  });
  afterAll(async () => {
    await app?.close();
    await tdb?.cleanup();
  });

  it('refuses a non-admin token (403) and imports nothing', async () => {
    const res = await upload(tokens.operator, [kevFile()]);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('PF_ERR_FORBIDDEN');
    expect((await catalogRowCounts(tdb.database.db)).kev).toBe(0);
  });

  it('imports USN files and KEV, answers the per-table counts (201), audits the import and announces the change', async () => {
    const usn = usnFileNames().map((n) => ({ field: 'usnOsv', name: n, data: readFileSync(`${FIXTURE_PATHS.usnDir}/${n}`) }));
    const res = await upload(tokens.admin, [...usn, kevFile()]);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as { runId: string; changed: boolean; tables: Record<string, { inserted: number }>; feeds: Record<string, { sources: string[] }> };
    expect(body.changed).toBe(true);
    expect(body.tables).toMatchObject({ usns: { inserted: 37 }, usnFixes: { inserted: 107 }, kev: { inserted: 1662 } });
    expect(body.feeds.kev?.sources).toEqual(['upload:known_exploited_vulnerabilities.json']);
    expect(body.feeds.usn?.sources).toEqual(['upload:37 files (USN-6119-1.json ... USN-8300-1.json)']);
    const [entry] = await tdb.database.db.select().from(auditLog).where(eq(auditLog.targetId, body.runId));
    expect(entry).toMatchObject({ action: 'catalog.import', targetType: 'catalog' });
    expect(entry?.actor).toMatch(/^token:/);
    // NOTIFY on PostgreSQL arrives over the listening connection a moment later: wait, bounded.
    for (let i = 0; i < 50 && !announced.includes(body.runId); i++) await new Promise((r) => setTimeout(r, 100));
    expect(announced).toContain(body.runId);
  });

  it('refuses a corrupt CVRF document with the feed parse code naming the uploaded file (400), and changes nothing', async () => {
    const before = await catalogRowCounts(tdb.database.db);
    const xml = readFileSync(cvrfPath('Dec'), 'utf8');
    const res = await upload(tokens.admin, [kevFile(), { field: 'msrcCvrf', name: 'cvrf-2025-Dec.xml', data: xml.slice(0, 20_000) }]);
    expect(res.statusCode).toBe(400);
    const err = res.json().error as { code: string; message: string };
    expect(err.code).toBe('PF_ERR_FEED_PARSE');
    expect(err.message).toMatch(/^cvrf-2025-Dec\.xml: /);
    expect(err.message).not.toContain('pf-catalog-upload-');
    expect(await catalogRowCounts(tdb.database.db)).toEqual(before);
  });

  it('bounds the upload: a file over the per-file limit and an upload over the total answer 413, nothing changed', async () => {
    const before = await catalogRowCounts(tdb.database.db);
    const big = await upload(tokens.admin, [{ field: 'kev', name: 'kev.json', data: Buffer.alloc(2_000_001, 0x20) }]);
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('PF_ERR_PAYLOAD_TOO_LARGE');
    const total = await upload(tokens.admin, [kevFile(), { field: 'epss', name: 'epss.csv', data: Buffer.alloc(1_900_000, 0x20) }]);
    expect(total.statusCode).toBe(413);
    expect(total.json().error.message).toMatch(/in total/);
    expect(await catalogRowCounts(tdb.database.db)).toEqual(before);
  });

  it('refuses an upload without files and an unknown field (400)', async () => {
    const none = await upload(tokens.admin, []);
    expect(none.statusCode).toBe(400);
    const unknown = await upload(tokens.admin, [{ field: 'nvd', name: 'x.json', data: '{}' }]);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toMatch(/unknown form field "nvd"/);
  });
});
