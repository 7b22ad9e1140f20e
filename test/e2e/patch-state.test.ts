/**
 * Per-host patch state in the running controller: a host's report is
 * assessed against the imported catalog, the API shows what it misses with
 * priority, the patch list counts affected hosts, and a later delta that
 * installs a fix moves the patch to installed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFrame } from '@patchfleet/shared';
import { agentSession, ubuntuPackages } from '../support/agent-session';
import { api, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { sampleHost } from '../support/inventory';
import { ADVISORIES } from '../support/advisories';
import { runCli, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';

let dir: string;
let dbUrl: string | undefined;
let dropDb: () => Promise<void>;
let controller: ControllerProcess;
let boot: Bootstrap;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-state-'));
  const db = await createTestDatabaseUrl();
  dbUrl = db.url;
  dropDb = db.drop;
  const dataDir = join(dir, 'controller');
  // A migrated PGlite from the template: the import skips initdb and the migrations (seconds).
  if (dbUrl === undefined) await seedPgliteDataDir(dataDir);
  const msrc = readdirSync(join(ADVISORIES, 'msrc')).map((f) => join(ADVISORIES, 'msrc', f));
  const imported = await runCli('controller', ['catalog', 'import', ...(dbUrl ? ['--database-url', dbUrl] : ['--data-dir', dataDir]), '--usn-osv', join(ADVISORIES, 'usn'), '--msrc-cvrf', ...msrc, '--kev', join(ADVISORIES, 'kev/known_exploited_vulnerabilities.json')], { timeoutMs: 120_000 });
  expect(imported.code, imported.stderr).toBe(0);
  controller = await startControllerProcess({ dataDir, databaseUrl: dbUrl });
  boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;
}, 180_000);

afterAll(async () => {
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('per-host patch state', () => {
  it('assesses a reported Ubuntu host, lists its missing USNs with priority, and follows a delta that installs a fix', { timeout: 120_000 }, async () => {
    const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', { labels: { criticality: 'high' } })).body.token;
    const stateDir = join(dir, 'agent');
    expect((await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir])).code).toBe(0);
    const { c, agentId } = await agentSession(boot, stateDir);
    const host = sampleHost({ hostname: 'ubuntu-web-1', os: { platform: 'linux', id: 'ubuntu', name: 'Ubuntu 24.04.1 LTS', version: '24.04', codename: 'noble', kernel: '6.8.0-41-generic', arch: 'x86_64' } });
    const packages = ubuntuPackages();
    c.send(makeFrame('inventory', { seq: 1, kind: 'full', part: 0, parts: 1, packageCount: packages.length, collectedAt: Date.now(), host, packages }, Date.now()));
    expect(await c.next()).toMatchObject({ type: 'ack', seq: 1 });

    type State = { missing: { id: string; priority: { tier: string; dueBy: string; reasons: string[] }; packages: { name: string }[] }[]; installed: string[] };
    const state = await waitFor(async () => {
      const r = await api<State>(boot, 'GET', `/api/v1/hosts/${agentId}/patches`);
      return r.body.missing?.length ? r.body : undefined;
    }, 'the host to be assessed', 30_000);
    expect(state.missing.map((m) => m.id).sort()).toEqual(['USN-6756-1', 'USN-7604-1']);
    expect(state.installed).toEqual(expect.arrayContaining(['USN-7012-1', 'USN-6859-1']));
    const sudo = state.missing.find((m) => m.id === 'USN-7604-1')!;
    expect(sudo.packages.map((p) => p.name)).toEqual(['sudo']);
    expect(sudo.priority.reasons.join(' ')).toMatch(/criticality high/i);

    const list = await api<{ items: { id: string; affectedHosts: number; installedHosts: number }[] }>(boot, 'GET', '/api/v1/patches?affected=true');
    expect(list.body.items.find((p) => p.id === 'USN-7604-1')).toMatchObject({ affectedHosts: 1 });
    const one = await api<{ affectedHosts: number; hosts: { hostId: string }[] }>(boot, 'GET', '/api/v1/patches/USN-7604-1');
    expect(one.body.affectedHosts).toBe(1);
    expect(one.body.hosts.map((h) => h.hostId)).toEqual([agentId]);
    expect((await api(boot, 'GET', '/api/v1/patches/USN-0000-0')).status).toBe(404);

    // sudo is upgraded to the fixed version: a delta report, and the USN moves to installed.
    const fixed = { ...packages.find((p) => p.name === 'sudo')!, version: '1.9.15p5-3ubuntu5.24.04.1', sourceVersion: '1.9.15p5-3ubuntu5.24.04.1' };
    c.send(makeFrame('inventory', { seq: 2, kind: 'delta', baseSeq: 1, part: 0, parts: 1, packageCount: 1, collectedAt: Date.now(), host, packages: [fixed], removed: [] }, Date.now()));
    expect(await c.next()).toMatchObject({ type: 'ack', seq: 2 });
    const after = await waitFor(async () => {
      const r = await api<State>(boot, 'GET', `/api/v1/hosts/${agentId}/patches`);
      return r.body.installed.includes('USN-7604-1') ? r.body : undefined;
    }, 'the delta to be assessed', 30_000);
    expect(after.missing.map((m) => m.id)).toEqual(['USN-6756-1']);
    c.close();
  });
});
