/**
 * Serving the dashboard through the real app (buildApp, inject): cache
 * headers, compression, the client-side route fallback, the API's JSON 404
 * kept under /api/, no sign-in needed for the app's files, and the 503 page
 * of a controller whose dashboard is not built.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ManualClock, nodeEd25519 } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { buildApp } from '../app';
import { RefusalAudit } from '../audit/refusal-audit';
import { loadConfig } from '../config';
import type { ControllerContext } from '../context';
import { createLogger } from '../logger';
import { IMMUTABLE, REVALIDATE } from './dashboard-routes';

const INDEX = '<!doctype html><html lang="en"><head><title>Patchfleet</title><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';
/** Big enough to be compressed (the threshold is 1 KiB). */
const SCRIPT = `console.log(${JSON.stringify('patchfleet '.repeat(400))});\n`;

describe('dashboard serving', () => {
  let tdb: TestDatabase;
  let ctx: ControllerContext;
  let app: FastifyInstance;
  let bare: FastifyInstance;
  let dir: string;

  beforeAll(async () => {
    tdb = await openTestDatabase();
    const clock = new ManualClock(Date.parse('2026-12-07T08:00:00Z'));
    ctx = {
      config: loadConfig({ dataDir: tdb.dataDir }, {}),
      db: tdb.database.db,
      dbKind: tdb.database.kind,
      bus: tdb.database.bus,
      clock,
      log: createLogger({ level: 'silent' }),
      controllerId: 'ctl_test',
      commandPublicKey: nodeEd25519.generateKeyPair().publicKey,
    };
    dir = mkdtempSync(join(tmpdir(), 'pf-dashboard-'));
    const dist = join(dir, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), INDEX);
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), SCRIPT);
    writeFileSync(join(dir, 'secret.txt'), 'outside the build');
    app = await buildApp(ctx, { refusals: new RefusalAudit(ctx.db, clock, ctx.log), dashboardDir: dist });
    bare = await buildApp(ctx, { refusals: new RefusalAudit(ctx.db, clock, ctx.log), dashboardDir: join(dir, 'not-built') });
    await Promise.all([app.ready(), bare.ready()]);
  });

  afterAll(async () => {
    await app?.close();
    await bare?.close();
    await tdb?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / without a session, revalidated on every use, under a strict content policy', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe(REVALIDATE);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toBe(INDEX);
  });

  it('answers client-side routes with index.html, so /hosts/abc can be reloaded or bookmarked', async () => {
    for (const url of ['/hosts/abc', '/rollouts/ro_1?x=1', '/audit', '/index.html']) {
      const res = await app.inject({ method: 'GET', url });
      expect({ url, status: res.statusCode, cache: res.headers['cache-control'], body: res.body }).toEqual({ url, status: 200, cache: REVALIDATE, body: INDEX });
    }
  });

  it('serves hashed assets as immutable for a year', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe(IMMUTABLE);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body).toBe(SCRIPT);
  });

  it('compresses with brotli or gzip as the client asks, and not at all when it does not', async () => {
    const br = await app.inject({ method: 'GET', url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(SCRIPT);
    expect(br.rawPayload.length).toBeLessThan(SCRIPT.length / 4);
    const gz = await app.inject({ method: 'GET', url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(SCRIPT);
    expect(gz.headers['cache-control']).toBe(IMMUTABLE);
    const plain = await app.inject({ method: 'GET', url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(SCRIPT);
  });

  it('leaves the API as it was: unknown /api paths answer the JSON 404 envelope, API routes still need a token, JSON is not compressed here', async () => {
    for (const url of ['/api/v1/nope', '/api/v1/hosts/abc/nope', '/api', '/api/']) {
      const res = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'br' } });
      expect({ url, status: res.statusCode, type: res.headers['content-type'] }).toEqual({ url, status: 404, type: expect.stringMatching(/^application\/json/) });
      expect(res.json()).toMatchObject({ error: { code: 'PF_ERR_ROUTE_NOT_FOUND', requestId: expect.any(String) } });
    }
    expect((await app.inject({ method: 'POST', url: '/hosts/abc' })).json()).toMatchObject({ error: { code: 'PF_ERR_ROUTE_NOT_FOUND' } });
    const hosts = await app.inject({ method: 'GET', url: '/api/v1/hosts' });
    expect(hosts.statusCode).toBe(401);
    const openapi = await app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: { 'accept-encoding': 'br, gzip' } });
    expect(openapi.statusCode).toBe(200);
    expect(openapi.headers['content-encoding']).toBeUndefined();
  });

  it('answers 404 for a missing asset and never serves a file outside the build', async () => {
    expect((await app.inject({ method: 'GET', url: '/assets/gone-999.js' })).json()).toMatchObject({ error: { code: 'PF_ERR_ROUTE_NOT_FOUND' } });
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.body, url).not.toContain('outside the build');
    }
  });

  it('answers 503 with a page saying to run pnpm build when the dashboard is not built, and keeps the API', async () => {
    for (const url of ['/', '/hosts/abc', '/assets/index-abc123.js']) {
      const res = await bare.inject({ method: 'GET', url });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 503 });
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toContain('pnpm build');
    }
    expect((await bare.inject({ method: 'GET', url: '/api/v1/nope' })).json()).toMatchObject({ error: { code: 'PF_ERR_ROUTE_NOT_FOUND' } });
    expect((await bare.inject({ method: 'GET', url: '/api/v1/openapi.json' })).statusCode).toBe(200);
  });
});
