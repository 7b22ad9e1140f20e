/**
 * The catalog setup through a real controller (TLS, gateway, import route,
 * assessment, API; PGlite, or PostgreSQL with DATABASE_URL): the example
 * scenario mixed-fleet's synthetic feeds are uploaded release by release as
 * `patchfleet catalog import --server` uploads them, one host per class
 * enrolls with its class's token and reports the inventory of inventory.ts
 * over the agent socket, and the API shows each patch missing on exactly the
 * hosts of its classes, with its CVSS, EPSS and KEV in the priority, only
 * once released; the classes the controller derives differ as the
 * scenario's do; a post-install report clears the patch, a rollback report
 * brings it back; and the rollout body releases the patch to its hosts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authChallengePayload, canonicalBytes, makeFrame, nodeEd25519, type Body, type Inventory } from '@patchfleet/shared';
import { uploadFiles } from '@patchfleet/controller/src/client/upload';
import { loadConfig } from '@patchfleet/controller/src/config';
import { resultRows } from '@patchfleet/controller/src/catalog/rows/sync-rows';
import { createLogger } from '@patchfleet/controller/src/logger';
import { hostClassSql } from '@patchfleet/controller/src/safety/host-class';
import { startController, type RunningController } from '@patchfleet/controller/src/server';
import { api, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { waitFor } from '../support/processes';
import { connectRaw, type RawClient } from '../support/ws-client';
import { planCatalog, rolloutRequest, writeImportBatch, type CatalogSetup, type ImportBatch } from './catalog-setup';
import { deltaReportBody, enrollmentTokenRequest, fullReportBodies, inventoryReport, type InstalledPatches } from './inventory';
import { parseScenarioText } from './scenario';

const scenario = parseScenarioText(readFileSync(new URL('./scenarios/mixed-fleet.json', import.meta.url), 'utf8'), 'mixed-fleet');

let dir: string;
let drop: () => Promise<void>;
let ctl: RunningController;
let boot: Bootstrap;
let setup: CatalogSetup;

interface SimAgent {
  className: string;
  agentId: string;
  c: RawClient;
  seq: number;
  last: Inventory;
}
const agents: SimAgent[] = [];
const agent = (className: string) => agents.find((a) => a.className === className)!;

type HostPatches = { missing: { id: string; cves: string[]; priority: { score: number; tier: string; reasons: string[] } }[]; installed: string[] };
type PatchView = { affectedHosts: number; installedHosts: number; hosts: { hostId: string }[]; cves: string[] };

/** Reads frames until the controller acknowledges report `seq` (commands and other frames pass by). */
async function acked(a: SimAgent, seq: number): Promise<void> {
  for (;;) {
    const frame = await a.c.next(15_000);
    if (frame.type === 'ack' && frame.seq === seq) return;
    if (frame.type === 'error') throw new Error(`controller refused report ${seq}: ${frame.code} ${frame.message}`);
  }
}

async function enrollAndReport(className: string, index: number): Promise<SimAgent> {
  const made = await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', enrollmentTokenRequest(setup, className, 1, '1h'));
  expect(made.status).toBe(201);
  const keys = nodeEd25519.generateKeyPair();
  const platform = setup.classes.find((c) => c.name === className)!.os.platform;
  const hostname = `sim-${String(index).padStart(6, '0')}`;
  const enrolled = await api<{ agentId: string; labels: Record<string, string> }>(boot, 'POST', '/api/v1/agents/enroll', { token: made.body.token, publicKey: keys.publicKey, hostname, platform, agentVersion: 'sim' }, '');
  expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);
  const { agentId } = enrolled.body;
  const c = await connectRaw(ctl.url, boot.caFingerprint);
  c.send(makeFrame('hello', { agentId, agentVersion: 'sim', platform, capabilities: ['inventory.delta/1'] }, Date.now()));
  const ch = await c.next();
  if (ch.type !== 'challenge') throw new Error(`expected challenge, got ${ch.type}`);
  c.send(makeFrame('auth', { agentId, sessionId: ch.sessionId, signature: nodeEd25519.sign(canonicalBytes(authChallengePayload(agentId, ch.sessionId, ch.nonce)), keys.secretKey) }, Date.now()));
  const welcome = await c.next();
  if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
  const inv = inventoryReport(setup, className, { index, hostname, serial: `SIM${String(index).padStart(8, '0')}` }, { now: Date.now(), bootId: `boot-${index}`, bootTime: Date.now() - 3_600_000 }, new Map());
  const a: SimAgent = { className, agentId, c, seq: 1, last: inv };
  for (const body of fullReportBodies(inv, { seq: 1, collectedAt: Date.now() })) c.send(makeFrame('inventory', body, Date.now()));
  await acked(a, 1);
  return a;
}

/** Sends the host's report holding `installed` as a delta on its last one. */
async function report(a: SimAgent, installed: InstalledPatches): Promise<void> {
  const index = agents.indexOf(a) + 1;
  const next = inventoryReport(setup, a.className, { index, hostname: `sim-${String(index).padStart(6, '0')}`, serial: `SIM${String(index).padStart(8, '0')}` }, { now: Date.now(), bootId: `boot-${index}`, bootTime: Date.now() - 3_600_000 }, installed);
  const body: Body<'inventory'> = deltaReportBody(a.last, next, { seq: a.seq + 1, baseSeq: a.seq, collectedAt: Date.now() });
  a.c.send(makeFrame('inventory', body, Date.now()));
  a.seq += 1;
  a.last = next;
  await acked(a, a.seq);
}

/** Uploads a release's files through the import route, as the CLI does (real multipart over pinned HTTPS). */
async function importBatch(batch: ImportBatch): Promise<void> {
  const files = await writeImportBatch(batch, join(dir, 'imports'));
  const result = await uploadFiles<{ changed: boolean; warnings: string[] }>({ server: ctl.url, token: boot.adminToken, caFingerprint: boot.caFingerprint }, '/api/v1/catalog/imports', files);
  expect(result.changed).toBe(true);
  expect(result.warnings).toEqual([]);
}

const hostPatches = async (className: string) => (await api<HostPatches>(boot, 'GET', `/api/v1/hosts/${agent(className).agentId}/patches`)).body;
const patchView = (id: string) => api<PatchView>(boot, 'GET', `/api/v1/patches/${id}`);
const missingIds = async (className: string) => (await hostPatches(className)).missing.map((m) => m.id).sort();
const agentsOf = (...classes: string[]) => classes.map((n) => agent(n).agentId).sort();
const WINDOWS = ['win11-dell', 'win11-lenovo', 'win2025-sql'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-sim-catalog-'));
  const pg = await createTestDatabaseUrl();
  drop = pg.drop;
  const dataDir = join(dir, 'controller');
  if (!pg.url) await seedPgliteDataDir(dataDir);
  ctl = await startController(loadConfig({ dataDir, port: 0, host: '127.0.0.1', ...(pg.url ? { databaseUrl: pg.url } : {}) }, {}), { log: createLogger({ level: 'silent' }) });
  boot = { url: ctl.url, adminToken: ctl.bootstrap.adminToken, caFingerprint: ctl.bootstrap.caFingerprint, commandKey: ctl.bootstrap.commandKey };
  setup = planCatalog(scenario, { start: Date.now() });
  let index = 0;
  for (const cls of scenario.fleet.classes) agents.push(await enrollAndReport(cls.name, ++index));
}, 180_000);

afterAll(async () => {
  for (const a of agents) a.c.close();
  await ctl?.close();
  await drop?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a scenario catalog in a real controller', () => {
  it('derives one controller class per scenario class, from the reported facts and the token labels', async () => {
    const rows = resultRows<{ id: string; cls: string; labels: Record<string, string> }>(await ctl.database.db.execute(sql`select h.id, ${hostClassSql('h')} as cls, h.labels from hosts h`));
    for (const cls of setup.classes) {
      const row = rows.find((r) => r.id === agent(cls.name).agentId)!;
      expect(row.cls).toBe(cls.controllerClass);
      expect(row.labels).toEqual(cls.labels);
    }
    expect(new Set(rows.map((r) => r.cls)).size).toBe(scenario.fleet.classes.length);
  });

  it('releases each patch at its day: missing on exactly the hosts of its classes, with the scenario priority in its reasons', { timeout: 120_000 }, async () => {
    const [day0, day1, day2] = setup.imports as [ImportBatch, ImportBatch, ImportBatch];
    expect((await patchView('KB5066835')).status).toBe(404);

    await importBatch(day0);
    const kb = await waitFor(async () => {
      const r = await patchView('KB5066835');
      return r.status === 200 && r.body.affectedHosts === 3 ? r.body : undefined;
    }, 'KB5066835 to be assessed on the Windows hosts', 30_000);
    expect(kb.hosts.map((h) => h.hostId).sort()).toEqual(agentsOf(...WINDOWS));
    expect((await patchView('KB5065426')).status).toBe(404);
    expect((await patchView('USN-7545-1')).status).toBe(404);
    expect(await missingIds('ubuntu-web')).toEqual([]);

    const dell = (await hostPatches('win11-dell')).missing.find((m) => m.id === 'KB5066835')!;
    expect(dell.cves).toEqual(setup.patches[0]!.cves);
    const reasons = dell.priority.reasons.join('\n');
    expect(reasons).toContain(`${dell.cves[0]} is in CISA KEV`);
    expect(reasons).toContain('CVSS 7.8');
    expect(reasons).toContain('EPSS 0.08');
    // KEV counts as certain exploitation: the score has its floor.
    expect(dell.priority.score).toBeGreaterThanOrEqual(75);
    const sql = (await hostPatches('win2025-sql')).missing.find((m) => m.id === 'KB5066835')!;
    expect(sql.priority.reasons.join('\n')).toContain('host criticality critical');
    expect(sql.priority.score).toBeGreaterThan(dell.priority.score);

    await importBatch(day1);
    await importBatch(day2);
    const usn = await waitFor(async () => {
      const r = await patchView('USN-7545-1');
      return r.status === 200 && r.body.affectedHosts === 1 ? r.body : undefined;
    }, 'USN-7545-1 to be assessed', 30_000);
    expect(usn.hosts.map((h) => h.hostId)).toEqual(agentsOf('ubuntu-web'));
    await waitFor(async () => (await patchView('KB5065426')).body.affectedHosts === 3, 'KB5065426 to be assessed', 30_000);
    expect((await patchView('KB5065426')).body.hosts.map((h) => h.hostId).sort()).toEqual(agentsOf(...WINDOWS));
    for (const name of WINDOWS) expect(await missingIds(name)).toEqual(['KB5065426', 'KB5066835']);
    const web = (await hostPatches('ubuntu-web')).missing;
    expect(web.map((m) => m.id)).toEqual(['USN-7545-1']);
    const webReasons = web[0]!.priority.reasons.join('\n');
    expect(webReasons).toContain('CVSS 4.7');
    expect(webReasons).toContain('EPSS 0.0001');
    expect(webReasons).not.toContain('KEV');
    const second = (await hostPatches('win11-lenovo')).missing.find((m) => m.id === 'KB5065426')!.priority.reasons.join('\n');
    expect(second).toContain('CVSS 8.8');
    expect(second).toContain('EPSS 0.02');
    expect(second).not.toContain('KEV');
  });

  it('clears a patch on a post-install report and brings it back on a rollback report', { timeout: 60_000 }, async () => {
    await report(agent('win11-dell'), new Map([['KB5066835', Date.now()]]));
    const dell = await waitFor(async () => {
      const r = await hostPatches('win11-dell');
      return r.installed.includes('KB5066835') ? r : undefined;
    }, 'the dell host to report KB5066835 installed', 30_000);
    expect(dell.missing.map((m) => m.id)).toEqual(['KB5065426']);
    expect(await missingIds('win11-lenovo')).toEqual(['KB5065426', 'KB5066835']);

    const web = agent('ubuntu-web');
    await report(web, new Map([['USN-7545-1', Date.now()]]));
    await waitFor(async () => (await hostPatches('ubuntu-web')).installed.includes('USN-7545-1'), 'USN-7545-1 installed', 30_000);
    expect(await missingIds('ubuntu-web')).toEqual([]);
    await report(web, new Map());
    await waitFor(async () => (await missingIds('ubuntu-web')).includes('USN-7545-1'), 'USN-7545-1 missing again after the rollback', 30_000);
    expect((await patchView('USN-7545-1')).body).toMatchObject({ affectedHosts: 1, installedHosts: 0 });
  });

  it('starts the rollout of a released patch with the simulator admin body, on the hosts missing it', { timeout: 60_000 }, async () => {
    const body = rolloutRequest(setup, 'KB5066835');
    const started = await api<{ id: string; releasedAt: string }>(boot, 'POST', '/api/v1/rollouts', body);
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(new Date(started.body.releasedAt).toISOString()).toBe(body.releasedAt);
    const hosts = await api<{ items: { hostId: string }[] }>(boot, 'GET', `/api/v1/rollouts/${started.body.id}/hosts`);
    // The dell host reported it installed: the rollout is for the other two.
    expect(hosts.body.items.map((h) => h.hostId).sort()).toEqual(agentsOf('win11-lenovo', 'win2025-sql'));
  });
});
