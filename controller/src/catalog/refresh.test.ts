import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { count } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@patchfleet/shared';
import { cvrfPath, FIXTURE_PATHS, usnFileNames } from '@patchfleet/test/support/advisories';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import type { FeedsConfig } from '../config';
import type { Db } from '../db/index';
import { catalogImports } from '../db/schema/index';
import { catalogRowCounts } from './import-log';
import { msrcDocumentIds, refreshCatalog, startCatalogRefresh, type RefreshDeps } from './refresh';
import { loadCatalog } from './store';

const NOW = Date.parse('2025-12-20T09:00:00Z');

/** The fixture files as the vendors serve them; a route can be swapped to simulate trouble. */
type Route = { status: number; type: string; body: Buffer } | 'hang';

function vendorRoutes(): Map<string, Route> {
  const usnArray = `[${usnFileNames().map((n) => readFileSync(join(FIXTURE_PATHS.usnDir, n), 'utf8')).join(',')}]`;
  return new Map<string, Route>([
    ['/osv/usn-all.json.gz', { status: 200, type: 'application/gzip', body: gzipSync(usnArray) }],
    ['/cvrf/2025-Nov', { status: 200, type: 'application/xml', body: readFileSync(cvrfPath('Nov')) }],
    ['/cvrf/2025-Dec', { status: 200, type: 'application/xml', body: readFileSync(cvrfPath('Dec')) }],
    ['/kev.json', { status: 200, type: 'application/json', body: readFileSync(FIXTURE_PATHS.kev) }],
    ['/epss.csv.gz', { status: 200, type: 'application/gzip', body: gzipSync(readFileSync(FIXTURE_PATHS.epss)) }],
    ['/hang', 'hang'],
  ]);
}

let server: Server;
let base: string;
let routes: ReturnType<typeof vendorRoutes>;
const hanging: ServerResponse[] = [];
let tdb: TestDatabase;
let db: Db;
const logLines: { level: number; msg: string; feed?: string; code?: string }[] = [];
const log = pino({ level: 'debug' }, { write: (line: string) => logLines.push(JSON.parse(line) as (typeof logLines)[number]) });

function deps(clock = new ManualClock(NOW)): RefreshDeps {
  return { db, clock, log };
}

function feedsAt(url: string): FeedsConfig {
  return { usnOsvUrl: `${url}/osv/usn-all.json.gz`, msrcCvrfUrl: `${url}/cvrf/`, msrcMonths: 3, kevUrl: `${url}/kev.json`, epssUrl: `${url}/epss.csv.gz`, timeoutSec: 5 };
}

async function snapshot() {
  const [imports] = await db.select({ n: count() }).from(catalogImports);
  return { rows: await catalogRowCounts(db), imports: imports?.n, catalog: await loadCatalog(db) };
}

beforeAll(async () => {
  routes = vendorRoutes();
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const route = routes.get(req.url ?? '');
    if (route === 'hang') {
      hanging.push(res);
      return;
    }
    if (route === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(route.status, { 'content-type': route.type }).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tdb = await openTestDatabase();
  db = tdb.database.db;
});
afterAll(async () => {
  for (const res of hanging) res.destroy();
  if (server.listening) await new Promise((resolve) => server.close(resolve));
  await tdb?.cleanup();
});

describe('msrcDocumentIds', () => {
  it('names this month and the ones before, oldest first, across a year end', () => {
    expect(msrcDocumentIds(Date.parse('2026-01-05T00:00:00Z'), 3)).toEqual(['2025-Nov', '2025-Dec', '2026-Jan']);
  });
});

describe('startCatalogRefresh', () => {
  it('refuses a schedule that is not a cron expression', () => {
    expect(() => startCatalogRefresh(deps(), { kevUrl: `${base}/kev.json`, schedule: 'every night' })).toThrow(
      expect.objectContaining({ code: 'PF_ERR_CONFIG', message: expect.stringContaining('"every night"') }),
    );
  });

  it('runs a first refresh at start when no catalog was ever imported, then stops cleanly', async () => {
    const fresh = await openTestDatabase();
    const clock = new ManualClock(NOW);
    const refresh = startCatalogRefresh({ db: fresh.database.db, clock, log }, { kevUrl: `${base}/kev.json` });
    try {
      clock.advance(0);
      await expect.poll(async () => (await catalogRowCounts(fresh.database.db)).kev, { timeout: 15_000 }).toBe(1662);
    } finally {
      await refresh.stop();
      await fresh.cleanup();
    }
  });
});

describe('refreshCatalog against a local vendor server', () => {
  it('downloads every configured feed (gzip too) and imports them in one run', async () => {
    const outcome = await refreshCatalog(deps(), feedsAt(base));
    expect(outcome.failures).toEqual([]);
    expect(outcome.notPublished).toEqual(['2025-Oct']); // 404: not out yet, not an error
    expect(outcome.imported?.changed).toBe(true);
    expect(Object.keys(outcome.imported?.feeds ?? {})).toEqual(['usn', 'msrc', 'kev', 'epss']);
    const catalog = await loadCatalog(db);
    expect(catalog.usns).toHaveLength(37);
    expect(catalog.kbs.find((k) => k.id === 'KB5072033')).toMatchObject({ month: '2025-12', supersedes: ['KB5068861'] });
    expect(catalog.cves.get('CVE-2025-62215')?.kev?.dateAdded).toBe('2025-11-12');
    const imports = await db.select().from(catalogImports).orderBy(catalogImports.id);
    expect(imports.map((i) => [i.feed, i.actor, i.sources])).toEqual([
      ['usn', 'system', [`${base}/osv/usn-all.json.gz`]],
      ['msrc', 'system', [`${base}/cvrf/2025-Nov`, `${base}/cvrf/2025-Dec`]],
      ['kev', 'system', [`${base}/kev.json`]],
      ['epss', 'system', [`${base}/epss.csv.gz`]],
    ]);
    expect(imports[0]?.startedAt).toEqual(new Date(NOW)); // the injected clock, not the wall clock
  });

  it('a refresh of unchanged feeds changes nothing', async () => {
    const outcome = await refreshCatalog(deps(), feedsAt(base));
    expect(outcome.failures).toEqual([]);
    expect(outcome.imported?.changed).toBe(false);
  });

  it('a corrupt download is not imported, and the other feeds of that run are not either', async () => {
    const before = await snapshot();
    const good = routes.get('/kev.json');
    const kev = readFileSync(FIXTURE_PATHS.kev);
    routes.set('/kev.json', { status: 200, type: 'application/json', body: kev.subarray(0, kev.length / 2) });
    try {
      const outcome = await refreshCatalog(deps(), feedsAt(base));
      expect(outcome.imported).toBeNull();
      expect(outcome.failures).toEqual([{ feed: 'import', url: null, code: 'PF_ERR_FEED_PARSE', message: expect.stringContaining('kev.json: invalid JSON') }]);
    } finally {
      if (good !== undefined) routes.set('/kev.json', good);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('an HTTP error skips that feed only', async () => {
    routes.set('/epss.csv.gz', { status: 503, type: 'text/plain', body: Buffer.from('maintenance') });
    const outcome = await refreshCatalog(deps(), feedsAt(base));
    expect(outcome.failures).toEqual([{ feed: 'epss', url: `${base}/epss.csv.gz`, code: 'PF_ERR_CATALOG_FETCH', message: `${base}/epss.csv.gz: HTTP 503 Service Unavailable` }]);
    expect(Object.keys(outcome.imported?.feeds ?? {})).toEqual(['usn', 'msrc', 'kev']);
  });

  it('times out on the injected clock', async () => {
    const clock = new ManualClock(NOW);
    const pending = refreshCatalog(deps(clock), { kevUrl: `${base}/hang`, timeoutSec: 7 });
    await expect.poll(() => hanging.length, { timeout: 5000 }).toBeGreaterThan(0);
    clock.advance(7000);
    const outcome = await pending;
    expect(outcome.imported).toBeNull();
    expect(outcome.failures).toEqual([{ feed: 'kev', url: `${base}/hang`, code: 'PF_ERR_CATALOG_FETCH', message: `${base}/hang: no answer within 7 s` }]);
  });

  it('with the server down: a warning per feed, and the catalog stays as it was', async () => {
    const before = await snapshot();
    await new Promise((resolve) => {
      for (const res of hanging.splice(0)) res.destroy();
      server.close(resolve);
    });
    logLines.length = 0;
    const outcome = await refreshCatalog(deps(), feedsAt(base));
    expect(outcome.imported).toBeNull();
    expect(outcome.failures.map((f) => [f.feed, f.code])).toEqual([
      ['usn', 'PF_ERR_CATALOG_FETCH'],
      ['msrc', 'PF_ERR_CATALOG_FETCH'],
      ['msrc', 'PF_ERR_CATALOG_FETCH'],
      ['msrc', 'PF_ERR_CATALOG_FETCH'],
      ['kev', 'PF_ERR_CATALOG_FETCH'],
      ['epss', 'PF_ERR_CATALOG_FETCH'],
    ]);
    expect(outcome.failures[0]?.message).toContain('ECONNREFUSED');
    const warnings = logLines.filter((l) => l.level === 40);
    expect(warnings.map((w) => w.feed ?? null)).toEqual(['usn', 'msrc', 'msrc', 'msrc', 'kev', 'epss', null]);
    expect(warnings.at(-1)?.msg).toBe('no advisory feed downloaded; the catalog is unchanged');
    expect(await snapshot()).toEqual(before);
  });
});

