/** Probes, health settings and a host's health through the REST API on a real database (PGlite, or PostgreSQL under DATABASE_URL). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { ManualClock } from '@patchfleet/shared';
import type { Db } from '../../db/index';
import { auditLog, hosts } from '../../db/schema/index';
import { HEALTH_CONFIG_CHANNEL } from '../../health/config-push';
import { rollupHealth } from '../../health/rollup';
import { storeHealthSamples } from '../../health/sample-store';
import { MIN, sample } from '../../health/test-samples.test-support';
import { ensureDefaultRings } from '../../rollout/ring-defaults';
import { errorOf, openRouteKit, roleTokens, type Method, type RouteKit } from './route-kit.test-support';

const T0 = Date.parse('2026-12-01T12:00:00Z');

describe('probes, health settings and host health API', () => {
  let kit: RouteKit;
  let db: Db;
  const tokens = { admin: '', operator: '', helpdesk: '' };
  const announced: string[] = [];
  const call = (method: Method, url: string, token: string | undefined, body?: unknown): Promise<LightMyRequestResponse> => kit.call(method, url, token, body);
  const err = errorOf;

  beforeAll(async () => {
    kit = await openRouteKit(new ManualClock(T0));
    db = kit.db;
    await ensureDefaultRings(db, new Date(T0));
    await kit.tdb.database.bus.subscribe(HEALTH_CONFIG_CHANNEL, (p) => announced.push(p));
    const now = new Date(T0);
    Object.assign(tokens, await roleTokens(db, now));
    await db.insert(hosts).values({ id: 'h1', hostname: 'web-1', enrolledAt: new Date(T0 - 86_400_000), bootId: 'boot-b', bootSeenAt: new Date(T0 - MIN) });
  });

  afterAll(async () => {
    await kit?.close();
  });

  /** Waits (bounded) until a change was announced on the bus (PostgreSQL delivers NOTIFY after the response). */
  async function waitAnnounced(n: number): Promise<void> {
    for (let i = 0; i < 100 && announced.length < n; i++) await new Promise((r) => setTimeout(r, 20));
    expect(announced.length).toBeGreaterThanOrEqual(n);
  }

  it('lets admins create, change and delete probes; operators and helpdesk read; each change audited and announced', async () => {
    const body = { name: 'web-ok', kind: 'http', url: 'http://127.0.0.1:8080/health', expectStatus: 200, bodyMatch: 'ok', timeoutMs: 2000, scope: { labels: { role: 'web' }, ringId: 'Test' } };
    for (const token of [tokens.operator, tokens.helpdesk]) expect(err(await call('POST', '/api/v1/probes', token, body)).code).toBe('PF_ERR_FORBIDDEN');
    expect(err(await call('GET', '/api/v1/probes', undefined)).code).toBe('PF_ERR_UNAUTHORIZED');
    const made = await call('POST', '/api/v1/probes', tokens.admin, body);
    expect(made.statusCode, made.body).toBe(201);
    const probe = made.json() as { id: string; scope: { ringId: string }; enabled: boolean };
    expect(probe).toMatchObject({ name: 'web-ok', kind: 'http', url: body.url, timeoutMs: 2000, enabled: true, scope: { labels: { role: 'web' }, ringId: 'rg_test' } });
    await waitAnnounced(1);
    expect((await call('GET', '/api/v1/probes', tokens.helpdesk)).json()).toMatchObject({ items: [{ id: probe.id }] });
    expect((await call('GET', '/api/v1/probes/web-ok', tokens.operator)).json()).toMatchObject({ id: probe.id });

    expect(err(await call('PATCH', `/api/v1/probes/${probe.id}`, tokens.operator, { enabled: false })).code).toBe('PF_ERR_FORBIDDEN');
    const patched = await call('PATCH', `/api/v1/probes/${probe.id}`, tokens.admin, { enabled: false, timeoutMs: 3000 });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ enabled: false, timeoutMs: 3000, url: body.url, bodyMatch: 'ok' });
    // Another kind replaces the spec: the http fields go, the tcp ones are required.
    expect(err(await call('PATCH', `/api/v1/probes/${probe.id}`, tokens.admin, { kind: 'tcp' })).message).toMatch(/tcp probe needs host and port/);
    const tcp = await call('PATCH', `/api/v1/probes/${probe.id}`, tokens.admin, { kind: 'tcp', host: 'db.local', port: 5432 });
    expect(tcp.json()).not.toHaveProperty('url');
    expect(tcp.json()).toMatchObject({ kind: 'tcp', host: 'db.local', port: 5432 });
    await waitAnnounced(2);

    const gone = await call('DELETE', `/api/v1/probes/${probe.id}`, tokens.admin);
    expect(gone.statusCode).toBe(200);
    expect(err(await call('GET', `/api/v1/probes/${probe.id}`, tokens.admin)).code).toBe('PF_ERR_NOT_FOUND');
    expect(err(await call('DELETE', `/api/v1/probes/${probe.id}`, tokens.admin)).code).toBe('PF_ERR_NOT_FOUND');
    const actions = (await db.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.targetId, probe.id))).map((a) => a.action).sort();
    expect(actions).toEqual(['probe.create', 'probe.delete', 'probe.update', 'probe.update']);
  });

  it('refuses probes that cannot run, with PF_ERR_VALIDATION and a message naming the field, and a taken name with PF_ERR_PROBE_NAME_TAKEN', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: 'a', kind: 'http' }, /http probe needs url/],
      [{ name: 'a', kind: 'http', url: 'ftp://x' }, /url/],
      [{ name: 'a', kind: 'tcp', host: 'x' }, /tcp probe needs host and port/],
      [{ name: 'a', kind: 'tcp', host: 'x', port: 70000 }, /port/],
      [{ name: 'a', kind: 'command' }, /command probe needs argv/],
      [{ name: 'a', kind: 'command', argv: [] }, /argv/],
      [{ name: 'a', kind: 'command', argv: ['true'], timeoutMs: 50 }, /timeoutMs/],
      [{ name: 'a', kind: 'command', argv: ['true'], timeoutMs: 120_001 }, /timeoutMs/],
      [{ name: 'a', kind: 'command', argv: ['true'], url: 'http://x' }, /url does not apply to a command probe/],
      [{ name: 'a', kind: 'http', url: 'http://x', bodyMatch: '(' }, /bodyMatch is not a valid regular expression/],
      [{ name: 'a', kind: 'http', url: 'http://x', scope: { ringId: 'Nowhere' } }, /ring Nowhere not found/],
      [{ name: 'a', kind: 'http', url: 'http://x', shell: 'sh -c' }, /shell|additional/],
      [{ name: 'a', kind: 'ping' }, /kind/],
    ];
    for (const [body, message] of cases) {
      const res = await call('POST', '/api/v1/probes', tokens.admin, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(err(res).code).toBe('PF_ERR_VALIDATION');
      expect(err(res).message, JSON.stringify(body)).toMatch(message);
    }
    expect((await call('GET', '/api/v1/probes', tokens.admin)).json()).toEqual({ items: [] });
    expect((await call('POST', '/api/v1/probes', tokens.admin, { name: 'dns', kind: 'command', argv: ['getent', 'hosts', 'example.org'] })).statusCode).toBe(201);
    const dup = await call('POST', '/api/v1/probes', tokens.admin, { name: 'dns', kind: 'tcp', host: 'x', port: 53 });
    expect([dup.statusCode, err(dup).code]).toEqual([409, 'PF_ERR_PROBE_NAME_TAKEN']);
  });

  it('reads health settings (defaults) and lets only admins change them, within bounds, audited', async () => {
    expect((await call('GET', '/api/v1/settings/health', tokens.helpdesk)).json()).toEqual({ intervalSec: 300, retentionDays: 30 });
    expect(err(await call('PUT', '/api/v1/settings/health', tokens.operator, { intervalSec: 60 })).code).toBe('PF_ERR_FORBIDDEN');
    for (const body of [{}, { intervalSec: 0 }, { intervalSec: 86_401 }, { retentionDays: 0 }, { intervalSec: 60, extra: 1 }]) {
      const res = await call('PUT', '/api/v1/settings/health', tokens.admin, body);
      expect([res.statusCode, err(res).code], JSON.stringify(body)).toEqual([400, 'PF_ERR_VALIDATION']);
    }
    const before = announced.length;
    const res = await call('PUT', '/api/v1/settings/health', tokens.admin, { intervalSec: 60 });
    expect(res.json()).toEqual({ intervalSec: 60, retentionDays: 30 });
    expect((await call('PUT', '/api/v1/settings/health', tokens.admin, { retentionDays: 14 })).json()).toEqual({ intervalSec: 60, retentionDays: 14 });
    await waitAnnounced(before + 2);
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.action, 'health.settings')).limit(1);
    expect(entry?.details).toEqual({ before: { intervalSec: 300, retentionDays: 30 }, after: { intervalSec: 60, retentionDays: 30 } });
  });

  it("serves a host's health as raw samples or hourly roll-ups, with events, boot ids and unavailable sources; 404 for an unknown host", async () => {
    const start = T0 - 3 * 60 * MIN; // 09:00
    const samples = Array.from({ length: 24 }, (_, i) => sample(i + 1, start + i * 5 * MIN, { bootId: i < 12 ? 'boot-a' : 'boot-b' }));
    samples[13] = sample(14, start + 65 * MIN, { bootId: 'boot-b', counters: { appCrashes: 2, probeFailures: 1, probeRuns: 1 }, unavailable: ['journald'], events: [{ kind: 'app-crash', at: start + 66 * MIN, subject: 'nginx', message: 'SIGSEGV' }] });
    await storeHealthSamples(db, 'h1', 'ep1', samples, new Date(T0));
    await rollupHealth(db, new Date(T0));

    expect(err(await call('GET', '/api/v1/hosts/h1/health', undefined)).code).toBe('PF_ERR_UNAUTHORIZED');
    const raw = await call('GET', `/api/v1/hosts/h1/health?from=${new Date(start).toISOString()}`, tokens.helpdesk);
    expect(raw.statusCode, raw.body).toBe(200);
    const view = raw.json() as { series: { start: string; appCrashes: number | null; kernelCrashes: number | null }[]; events: unknown[]; bootIds: string[]; unavailable: string[]; host: unknown; totals: { samples: number; appCrashes: number } };
    expect(view.series).toHaveLength(24);
    expect(view.series[0]?.start).toBe(new Date(start).toISOString());
    expect(view.series[13]).toMatchObject({ appCrashes: 2, kernelCrashes: null });
    expect(view.events).toEqual([{ kind: 'app-crash', at: new Date(start + 66 * MIN).toISOString(), subject: 'nginx', message: 'SIGSEGV' }]);
    expect(view.bootIds).toEqual(['boot-a', 'boot-b']);
    expect(view.unavailable).toEqual(['journald']);
    expect(view.host).toEqual({ id: 'h1', hostname: 'web-1', bootId: 'boot-b', bootSeenAt: new Date(T0 - MIN).toISOString() });
    expect(view.totals).toMatchObject({ samples: 24, appCrashes: 2 });

    const hourly = (await call('GET', `/api/v1/hosts/h1/health?from=${new Date(start).toISOString()}&resolution=hour`, tokens.operator)).json() as { series: { start: string; samples: number; appCrashes: number; bootIds: string[] }[] };
    expect(hourly.series.map((p) => [p.start, p.samples, p.appCrashes, p.bootIds])).toEqual([
      ['2026-12-01T09:00:00.000Z', 12, 0, ['boot-a']],
      ['2026-12-01T10:00:00.000Z', 12, 2, ['boot-b']],
    ]);

    // The default range is the last 24 hours before now; a range outside the data is empty, not an error.
    expect(((await call('GET', '/api/v1/hosts/h1/health', tokens.helpdesk)).json() as { series: unknown[] }).series).toHaveLength(24);
    expect(((await call('GET', '/api/v1/hosts/h1/health?to=2026-01-01T00:00:00Z', tokens.helpdesk)).json() as { series: unknown[] }).series).toEqual([]);

    const missing = await call('GET', '/api/v1/hosts/nope/health', tokens.helpdesk);
    expect([missing.statusCode, err(missing).code]).toEqual([404, 'PF_ERR_NOT_FOUND']);
    for (const qs of ['resolution=minute', 'from=yesterday', 'from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z', 'from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'limit=5']) {
      const res = await call('GET', `/api/v1/hosts/h1/health?${qs}`, tokens.helpdesk);
      expect([res.statusCode, err(res).code], qs).toEqual([400, 'PF_ERR_VALIDATION']);
    }
  });
});
