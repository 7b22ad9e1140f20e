/**
 * The catalog and a running controller, as real processes: the CLI refuses
 * a data directory whose embedded database a controller holds (and leaves
 * it intact), and `catalog import --server` hands the files to the
 * controller, which imports them and assesses its hosts at once.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authChallengePayload, canonicalBytes, makeFrame, nodeEd25519, type Package } from '@patchfleet/shared';
import type { CatalogStatus } from '@patchfleet/controller/src/catalog/import-log';
import { api, type Bootstrap } from '../support/api';
import { cvrfPath, FIXTURE_PATHS } from '../support/advisories';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { sampleHost } from '../support/inventory';
import { runCli, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';
import { connectRaw } from '../support/ws-client';

const DPKG = new URL('../fixtures/assess/dpkg-ubuntu-24.04-small.tsv', import.meta.url);

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pf-catalog-running-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function ubuntuPackages(): Package[] {
  return readFileSync(DPKG, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [bin, version, sourceName, sourceVersion] = line.split('\t') as [string, string, string, string];
      const [name, arch = 'amd64'] = bin.split(':') as [string, string?];
      return { name, version, sourceName, sourceVersion, arch, manager: 'dpkg' as const };
    });
}

const UBUNTU = { hostname: 'ubuntu-web-1', os: { platform: 'linux' as const, id: 'ubuntu', name: 'Ubuntu 24.04.1 LTS', version: '24.04', codename: 'noble', kernel: '6.8.0-41-generic', arch: 'x86_64' } };
const DEBIAN = { hostname: 'debian-vm', os: { platform: 'linux' as const, id: 'debian', name: 'Debian GNU/Linux 12 (bookworm)', version: '12', codename: 'bookworm', kernel: '6.1.0-26-amd64', arch: 'x86_64' } };

/** Enrolls an agent identity with the CLI and reports a host (Ubuntu 24.04 by default) over a raw session; returns its id. */
async function reportUbuntuHost(boot: Bootstrap, stateDir: string, facts: typeof UBUNTU | typeof DEBIAN = UBUNTU): Promise<{ agentId: string; close(): void }> {
  const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {})).body.token;
  const enrolled = await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  const id = JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string; secretKey: string };
  const c = await connectRaw(boot.url, boot.caFingerprint);
  c.send(makeFrame('hello', { agentId: id.agentId, agentVersion: 'test', platform: 'linux', capabilities: [] }, Date.now()));
  const ch = await c.next();
  if (ch.type !== 'challenge') throw new Error(`expected challenge, got ${ch.type}`);
  c.send(makeFrame('auth', { agentId: id.agentId, sessionId: ch.sessionId, signature: nodeEd25519.sign(canonicalBytes(authChallengePayload(id.agentId, ch.sessionId, ch.nonce)), id.secretKey) }, Date.now()));
  expect((await c.next()).type).toBe('welcome');
  const packages = ubuntuPackages();
  const host = sampleHost(facts);
  c.send(makeFrame('inventory', { seq: 1, kind: 'full', part: 0, parts: 1, packageCount: packages.length, collectedAt: Date.now(), host, packages }, Date.now()));
  expect(await c.next()).toMatchObject({ type: 'ack', seq: 1 });
  return { agentId: id.agentId, close: () => c.close() };
}

describe('a CLI on the data directory of a running controller', { timeout: 180_000 }, () => {
  let controller: ControllerProcess | undefined;
  let dataDir: string;
  let boot: Bootstrap;

  beforeAll(async () => {
    dataDir = join(dir, 'held');
    await seedPgliteDataDir(dataDir);
    // The lock is about the embedded database: this controller always runs on PGlite.
    controller = await startControllerProcess({ dataDir, env: { DATABASE_URL: '' } });
    boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;
  }, 120_000);
  afterAll(async () => {
    await controller?.stop();
  });

  it('refuses catalog import, catalog status and assess with PF_ERR_DATA_DIR_IN_USE naming the fix; the controller and its data stay intact', async () => {
    const made = await api<{ id: string }>(boot, 'POST', '/api/v1/enrollment-tokens', { description: 'before the refused CLI runs' });
    expect(made.status).toBe(201);
    const pid = join(dataDir, 'pgdata', 'postmaster.pid');
    expect(existsSync(pid)).toBe(true);
    const env = { DATABASE_URL: '' };

    // The three runs only read the lock file, so they start together (each CLI start costs seconds).
    const [imported, status, assessed] = await Promise.all([
      runCli('controller', ['catalog', 'import', '--data-dir', dataDir, '--usn-osv', FIXTURE_PATHS.usnDir, '--kev', FIXTURE_PATHS.kev], { env, timeoutMs: 120_000 }),
      runCli('controller', ['catalog', 'status', '--data-dir', dataDir], { env }),
      runCli('controller', ['assess', '--data-dir', dataDir, '--os', 'ubuntu-24.04', '--dpkg', DPKG.pathname], { env }),
    ]);
    expect(imported.code).toBe(1);
    const refusal = `error PF_ERR_DATA_DIR_IN_USE: ${dataDir} is in use by a running controller (pid ${controller!.child.pid})`;
    expect(imported.stderr).toContain(refusal);
    expect(imported.stderr).toContain(`pnpm patchfleet catalog import --server ${boot.url} --data-dir ${dataDir}`);

    expect(status.code).toBe(1);
    expect(status.stderr).toContain(refusal);

    expect(assessed.code).toBe(1);
    expect(assessed.stderr).toContain(refusal);

    // Nothing was touched: PGlite's pid file is still there and the controller still reads and writes its data.
    expect(existsSync(pid)).toBe(true);
    expect(controller!.child.exitCode).toBeNull();
    const tokens = await api<{ items: { id: string; description: string }[] }>(boot, 'GET', '/api/v1/enrollment-tokens');
    expect(tokens.body.items.map((t) => t.id)).toContain(made.body.id);
    const catalog = await api<CatalogStatus>(boot, 'GET', '/api/v1/catalog/status');
    expect(catalog.status).toBe(200);
    expect(catalog.body.lastImports).toEqual({});
    expect((await api(boot, 'POST', '/api/v1/enrollment-tokens', { description: 'after' })).status).toBe(201);
  });

  it('after the controller stops, the lock is gone and the CLI opens the directory', async () => {
    expect(await controller!.stop()).toBe(0);
    controller = undefined;
    expect(existsSync(join(dataDir, 'pgdata.lock'))).toBe(false);
    const status = await runCli('controller', ['catalog', 'status', '--data-dir', dataDir, '--json'], { env: { DATABASE_URL: '' } });
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as CatalogStatus).rows.usns).toBe(0);
  });
});

describe('catalog import --server into a running controller', { timeout: 180_000 }, () => {
  let controller: ControllerProcess;
  let dataDir: string;
  let boot: Bootstrap;
  let dbUrl: string | undefined;
  let dropDb: () => Promise<void>;
  let host: { agentId: string; close(): void };
  let debian: { agentId: string; close(): void };

  beforeAll(async () => {
    dataDir = join(dir, 'served');
    const db = await createTestDatabaseUrl();
    dbUrl = db.url;
    dropDb = db.drop;
    if (dbUrl === undefined) await seedPgliteDataDir(dataDir);
    controller = await startControllerProcess({ dataDir, databaseUrl: dbUrl });
    boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;
    [host, debian] = await Promise.all([reportUbuntuHost(boot, join(dir, 'agent')), reportUbuntuHost(boot, join(dir, 'agent-debian'), DEBIAN)]);
  }, 120_000);
  afterAll(async () => {
    host?.close();
    debian?.close();
    await controller?.stop();
    await dropDb?.();
  });

  const cli = (args: string[]) => runCli('controller', ['catalog', ...args, '--server', boot.url, '--data-dir', dataDir], { env: { DATABASE_URL: '' }, timeoutMs: 120_000 });

  type Coverage = { covered: boolean; source: string | null; reason: string | null };
  type State = { assessedAt: string | null; coverage: Coverage; missing: { id: string }[] };

  it('before any import, says that no advisory source covers the hosts instead of an empty, fully-patched look (API and CLI)', async () => {
    const ubuntu = await api<State>(boot, 'GET', `/api/v1/hosts/${host.agentId}/patches`);
    expect(ubuntu.body).toMatchObject({ assessedAt: null, missing: [], coverage: { covered: false, source: null } });
    expect(ubuntu.body.coverage.reason).toMatch(/^no imported Ubuntu Security Notice covers Ubuntu 24\.04, so missing patches are unknown, not zero/);
    const shown = await runCli('controller', ['hosts', 'patches', debian.agentId, '--data-dir', dataDir]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^host: \\S+ \\(${debian.agentId}\\)\nnot assessed: no advisory source covers debian 12: Patchfleet assesses Ubuntu .* so this host's missing patches are unknown, not zero\n$`));
  });

  it('streams the files, answers per-table counts, and the controller assesses its host without a restart', async () => {
    const res = await cli(['import', '--usn-osv', FIXTURE_PATHS.usnDir, '--msrc-cvrf', cvrfPath('Nov'), '--kev', FIXTURE_PATHS.kev]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(`uploading 39 files to ${boot.url}`);
    expect(res.stdout).toMatch(/^usns +37 +0 +0 +0$/m);
    expect(res.stdout).toMatch(/^kev +1662 +0 +0 +0$/m);
    expect(res.stdout).toMatch(/imported usn, msrc, kev in [\d.]+ s \(run imp_[0-9a-f]+\)\n$/);

    // Well inside the 30 s catalog poll: the import's bus message starts the re-assessment.
    const state = await waitFor(async () => {
      const r = await api<State>(boot, 'GET', `/api/v1/hosts/${host.agentId}/patches`);
      return r.body.missing?.length ? r.body : undefined;
    }, 'the host to be assessed after the import', 15_000);
    expect(state.missing.map((m) => m.id).sort()).toEqual(['USN-6756-1', 'USN-7604-1']);
    expect(state.assessedAt).not.toBeNull();
    expect(state.coverage).toEqual({ covered: true, source: 'usn', reason: null });
    // The Debian host is still not covered by anything imported, and says so in `hosts show`.
    const deb = await api<State>(boot, 'GET', `/api/v1/hosts/${debian.agentId}/patches`);
    expect(deb.body).toMatchObject({ assessedAt: null, missing: [], coverage: { covered: false } });
    expect(deb.body.coverage.reason).toMatch(/^no advisory source covers debian 12/);
    const shown = await runCli('controller', ['hosts', 'show', debian.agentId, '--data-dir', dataDir]);
    expect(shown.stdout).toMatch(/^patches: +not assessed: no advisory source covers debian 12/m);
    const one = await api<{ affectedHosts: number }>(boot, 'GET', '/api/v1/patches/USN-7604-1');
    expect(one.status).toBe(200);
    expect(one.body.affectedHosts).toBe(1);

    const status = await cli(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^usn +\d{4}-\d\d-\d\dT\S+ +token:\S+ +144 +0 +0 +0 +upload:37 files \(USN-6119-1\.json \.\.\. USN-8300-1\.json\)$/m);
    expect(status.stdout).not.toMatch(/^usn +never/m);
    const audit = await api<{ items: { action: string; actor: string }[] }>(boot, 'GET', '/api/v1/audit?action=catalog.import');
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]?.actor).toMatch(/^token:/);
  });

  it('a bad file is refused with the feed parse code naming it (exit 1) and nothing changes', async () => {
    const before = (await api<CatalogStatus>(boot, 'GET', '/api/v1/catalog/status')).body;
    const bad = join(dir, 'cvrf-2025-Dec.xml');
    const xml = readFileSync(cvrfPath('Dec'), 'utf8');
    writeFileSync(bad, xml.slice(0, xml.length - 5000));
    const res = await cli(['import', '--kev', FIXTURE_PATHS.kev, '--msrc-cvrf', bad]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error PF_ERR_FEED_PARSE: cvrf-2025-Dec\.xml: not well-formed XML/m);
    expect(res.stdout).toBe('');
    expect((await api<CatalogStatus>(boot, 'GET', '/api/v1/catalog/status')).body).toEqual(before);
  });
});
