/**
 * Fuzzing every REST route of a real controller: arbitrary strings, numbers
 * and shapes in path parameters, query strings and bodies (the routes' own
 * field names, so input gets past the first schema check, and shapes that are
 * not objects at all). Whatever is sent: no 500, an answer in the one error
 * envelope with a catalogue code, and a refused request stores nothing.
 *
 * The route list comes from the controller's own OpenAPI document, so a new
 * route is fuzzed without touching this file.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Errors } from '@patchfleet/shared/errors';
import { changedTables, dataDigest, describeFailure, FUZZ_SEED, fuzzRuns, hostileObject, hostileString, hostileValue, startFuzzController, type FuzzController } from './fuzz-kit';

interface RouteSpec {
  method: string;
  path: string;
  pathParams: string[];
  queryKeys: string[];
  bodyKeys: string[];
}

interface OpenApiOperation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
  responses?: Record<string, { content?: Record<string, unknown> }>;
}

function routesOf(doc: unknown): RouteSpec[] {
  const paths = (doc as { paths?: Record<string, Record<string, OpenApiOperation>> }).paths ?? {};
  const out: RouteSpec[] = [];
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      // An event stream (GET /events) never ends, so an in-process request would never answer; controller/src/api/routes/live.test.ts tests it over a socket.
      if (op.responses?.['200']?.content?.['text/event-stream']) continue;
      const params = op.parameters ?? [];
      const body = Object.values(op.requestBody?.content ?? {})[0]?.schema?.properties ?? {};
      out.push({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string),
        queryKeys: params.filter((p) => p.in === 'query').map((p) => p.name),
        bodyKeys: Object.keys(body),
      });
    }
  }
  return out;
}

/** Percent-encodes the UTF-8 bytes, so even a lone surrogate (sent as U+FFFD) makes a URL. */
function encode(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

function queryString(q: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${encode(k)}=${encode(typeof one === 'string' ? one : JSON.stringify(one) ?? '')}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

const catalogueCodes = new Set<string>(Object.values(Errors).map((e) => e.code));

describe('REST fuzz (fast-check, fixed seed)', () => {
  let f: FuzzController;
  let routes: RouteSpec[];

  beforeAll(async () => {
    f = await startFuzzController();
    routes = routesOf(f.ctl.app.swagger());
  }, 120_000);

  afterAll(async () => {
    await f?.close();
  });

  it('finds every route family in the OpenAPI document', () => {
    const families = new Set(routes.map((r) => r.path.split('/')[3]));
    for (const family of ['hosts', 'patches', 'audit', 'rollouts', 'rings', 'commands', 'enrollment-tokens', 'api-tokens', 'agents']) expect(families).toContain(family);
  });

  it('answers hostile requests on every route without a 500, in the error envelope, storing nothing when it refuses', async () => {
    const db = f.ctl.database.db;
    let baseline = await dataDigest(db);
    const seen = { refused: 0, accepted: 0 };
    const failures: string[] = [];
    for (const route of routes) {
      const body = fc.oneof(
        { weight: 4, arbitrary: hostileObject(route.bodyKeys) },
        { weight: 1, arbitrary: hostileValue.map((v) => JSON.stringify(v) ?? 'null') },
        { weight: 1, arbitrary: hostileString },
      );
      const request = fc.record({
        params: fc.array(hostileString, { minLength: route.pathParams.length, maxLength: route.pathParams.length }),
        query: hostileObject(route.queryKeys),
        body,
        json: fc.boolean(),
      });
      const outcome = await fc.check(
        fc.asyncProperty(request, async (r) => {
          let i = 0;
          const path = route.path.replace(/\{[^}]+\}/g, () => encode(r.params[i++] ?? ''));
          const hasBody = route.method !== 'GET';
          const payload = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
          const res = await f.ctl.app.inject({
            method: route.method as 'GET',
            url: `${path}${queryString(r.query)}`,
            headers: { authorization: `Bearer ${f.adminToken}`, ...(hasBody ? { 'content-type': r.json ? 'application/json' : 'text/plain' } : {}) },
            ...(hasBody ? { payload } : {}),
          });
          const where = `${route.method} ${route.path} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
          expect(res.statusCode, where).toBeLessThan(500);
          if (res.statusCode >= 400) {
            seen.refused += 1;
            const envelope = res.json() as { error?: { code?: string } };
            expect(catalogueCodes.has(envelope.error?.code ?? ''), where).toBe(true);
            expect(changedTables(baseline, await dataDigest(db)), `${where}: a refused request changed stored data`).toEqual([]);
          } else {
            seen.accepted += 1;
            baseline = await dataDigest(db);
          }
        }),
        { seed: FUZZ_SEED, numRuns: fuzzRuns(25), endOnFailure: true },
      );
      if (outcome.failed) failures.push(describeFailure(`${route.method} ${route.path}`, outcome));
    }
    expect(failures).toEqual([]);
    // The suite must reach past authentication and validation at least sometimes, or it tests nothing.
    expect(seen.refused).toBeGreaterThan(routes.length * 10);
    expect(seen.accepted).toBeGreaterThan(0);
  }, 600_000);
});
