/**
 * The agent's single executables (pnpm build: agent/scripts/executables.ts).
 * The Linux one runs collect, enroll and run against a real controller with
 * no other `node` on PATH, so it carries its own runtime; the Windows one is
 * checked for its injected blob and its Authenticode signature (it is never
 * run here). Long: a first build fetches and unpacks the runtimes.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAgentExecutables, SEA_FUSE, type AgentExecutables } from '@patchfleet/agent/scripts/executables';
import { verifyExe } from '@patchfleet/agent/scripts/sea/signing';
import { api, type Bootstrap } from '../support/api';
import { exeEnv, noNodePath, runExe, startExeAgent } from '../support/agent-exe';
import { createTestDatabaseUrl } from '../support/db';
import { dpkgInstalledNames, TEST_PACKAGE_PREFIX } from '../support/dpkg';
import { startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';

let dir: string;
let exes: AgentExecutables;
let path: string;
let controller: ControllerProcess;
let boot: Bootstrap;
let dropDb: () => Promise<void>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-exe-'));
  exes = await buildAgentExecutables();
  path = noNodePath(join(dir, 'bin'));
  const db = await createTestDatabaseUrl();
  dropDb = db.drop;
  controller = await startControllerProcess({ dataDir: join(dir, 'controller'), databaseUrl: db.url });
  boot = JSON.parse(readFileSync(join(dir, 'controller', 'bootstrap.json'), 'utf8')) as Bootstrap;
}, 600_000);

afterAll(async () => {
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('the Linux executable', () => {
  it('finds no node on the PATH it runs with', () => {
    expect(() => execFileSync('/bin/sh', ['-c', 'command -v node || command -v nodejs'], { env: { PATH: path }, stdio: 'pipe' })).toThrow();
    expect(execFileSync('/bin/sh', ['-c', 'command -v dpkg-query'], { env: { PATH: path }, encoding: 'utf8' }).trim()).toBe(join(path, 'dpkg-query'));
  });

  it('is a Node runtime with the blob injected (fuse flipped), not a script', () => {
    const head = Buffer.alloc(4);
    const fd = openSync(exes.linux, 'r');
    readSync(fd, head, 0, 4, 0);
    closeSync(fd);
    expect(head.toString('latin1')).toBe('\x7fELF');
    expect(statSync(exes.linux).mode & 0o111).not.toBe(0);
    expect(readFileSync(exes.linux).includes(`${SEA_FUSE}:1`)).toBe(true);
  });

  it('runs collect --json', async () => {
    const res = await runExe(exes.linux, ['collect', '--json'], exeEnv(path));
    expect(res.code, res.stderr).toBe(0);
    const inventory = JSON.parse(res.stdout) as { host: { hostname: string; packageManagers: string[] }; packages: { name: string }[] };
    const collected = inventory.packages.filter((p) => !p.name.startsWith(TEST_PACKAGE_PREFIX)).map((p) => p.name);
    expect(new Set(collected)).toEqual(new Set(dpkgInstalledNames()));
    expect(inventory.host.packageManagers).toContain('dpkg');
  });

  it('enrolls with a token and runs connected to the controller', { timeout: 120_000 }, async () => {
    const token = await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {});
    expect(token.status).toBe(201);
    const stateDir = join(dir, 'agent');
    const env = exeEnv(path);
    const enrolled = await runExe(exes.linux, ['enroll', '--server', boot.url.replace(/^https:/, 'wss:'), '--token', token.body.token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir], env);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const agentId = (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;
    expect(enrolled.stdout).toContain(`enrolled as ${agentId}`);

    const agent = startExeAgent(exes.linux, stateDir, env);
    try {
      const host = await waitFor(async () => {
        const h = await api<{ online: boolean; lastSeq: number; packageCount: number }>(boot, 'GET', `/api/v1/hosts/${agentId}`);
        return h.body.online && h.body.lastSeq >= 1 ? h.body : undefined;
      }, 'the executable agent to show online with its first report', 60_000);
      expect(host.packageCount).toBeGreaterThan(0);
      expect(agent.child.exitCode).toBeNull();
      expect(await agent.stop()).toBe(0);
    } finally {
      await agent.stop();
    }
    const after = await waitFor(async () => {
      const h = await api<{ online: boolean }>(boot, 'GET', `/api/v1/hosts/${agentId}`);
      return h.body.online ? undefined : h.body;
    }, 'the stopped agent to show offline');
    expect(after.online).toBe(false);
  });
});

describe('the Windows executable', () => {
  it('is a PE with the blob injected as a resource (fuse flipped)', () => {
    const exe = readFileSync(exes.windows);
    expect(exe.subarray(0, 2).toString('latin1')).toBe('MZ');
    expect(exe.includes(`${SEA_FUSE}:1`)).toBe(true);
    expect(exe.includes(Buffer.from('NODE_SEA_BLOB', 'utf16le'))).toBe(true);
  });

  it('carries an Authenticode signature that verifies against the test CA, and a changed byte breaks it', () => {
    const ca = exes.signing.testCa;
    expect(ca, 'this test checks the test signature; unset PATCHFLEET_SIGN_CERT/KEY').toBeDefined();
    expect(verifyExe(exes.windows, ca as string)).toMatch(/Signature verification: ok/);
    const tampered = join(dir, 'tampered.exe');
    copyFileSync(exes.windows, tampered);
    const fd = openSync(tampered, 'r+');
    const at = Math.floor(statSync(tampered).size / 2);
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] = (b[0] ?? 0) ^ 0xff;
    writeSync(fd, b, 0, 1, at);
    closeSync(fd);
    expect(() => verifyExe(tampered, ca as string)).toThrow();
    expect(existsSync(tampered)).toBe(true);
  });
});
