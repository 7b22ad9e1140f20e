/**
 * Trust rules on a real controller process with a real agent process:
 * revoking a connected agent closes its socket at once and it stops
 * retrying; revoked and expired API tokens get 401; one person's second
 * admin token (minted with the CLI) does not count as a second approver;
 * operators cannot skip rings or backdate a release; small-order agent keys
 * are refused at enrollment.
 *
 * Each CLI run is a tsx start (about two CPU seconds): settings that are
 * only the stage for a check (rings, pins, the first approval) go through
 * the API; the CLI runs where its own behaviour is what is checked.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, signIn, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { runCli, startAgentProcess, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';

let dir: string;
let dropDb: () => Promise<void>;
let controller: ControllerProcess;
let boot: Bootstrap;
let dataDir: string;
let agentId: string;
let stateDir: string;

const cli = (args: string[]) => runCli('controller', [...args, '--data-dir', dataDir]);
const enrollToken = async () => (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', { uses: 5 })).body.token;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-trust-'));
  const db = await createTestDatabaseUrl();
  dropDb = db.drop;
  dataDir = join(dir, 'controller');
  // A migrated PGlite from the template: the controller skips initdb and the migrations (seconds).
  if (db.url === undefined) await seedPgliteDataDir(dataDir);
  controller = await startControllerProcess({ dataDir, databaseUrl: db.url });
  boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;
  stateDir = join(dir, 'agent');
  const enrolled = await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', await enrollToken(), '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  agentId = (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;
  const once = await runCli('agent', ['run', '--state-dir', stateDir, '--once']);
  expect(once.code, once.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('two-person rule', () => {
  it('refuses a second approval from an admin token minted with the CLI by the first approver', { timeout: 120_000 }, async () => {
    // One package the host has, at a higher version: the host is the rollout's only target, pinned to an approval ring.
    const pkgs = await api<{ items: { name: string; version: string; manager: string }[] }>(boot, 'GET', `/api/v1/hosts/${agentId}/packages?limit=1`);
    const pkg = pkgs.body.items[0];
    expect(pkg).toBeDefined();
    const approvalRing = await api(boot, 'PATCH', '/api/v1/rings/Test', { approvalRequired: true });
    expect(approvalRing.status, JSON.stringify(approvalRing.body)).toBe(200);
    const pinned = await api(boot, 'PUT', `/api/v1/hosts/${agentId}/ring`, { ring: 'Test' });
    expect(pinned.status, JSON.stringify(pinned.body)).toBe(200);
    const started = await cli(['rollout', 'start', '--package', `${pkg?.name}=${pkg?.version}+pf1`, '--ring', 'Test', '--expedite', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const rolloutId = (JSON.parse(started.stdout) as { id: string }).id;

    // The attack from the issue: the admin mints a second admin token and approves with both.
    // A person the bootstrap admin registers (alice) does not count beside it either, and cannot register people itself.
    const [minted, alice] = await Promise.all([cli(['api-token', 'create', '--name', 'my-second', '--role', 'admin']), cli(['api-token', 'create', '--name', 'alice', '--role', 'admin', '--person', 'alice'])]);
    expect(minted.code, minted.stderr).toBe(0);
    expect(alice.code, alice.stderr).toBe(0);
    const second = minted.stdout.trim();
    const first = await api<{ approvals: number; needed: number }>(boot, 'POST', `/api/v1/rollouts/${rolloutId}/approve`, { ring: 'Test' });
    expect({ status: first.status, approvals: first.body.approvals }).toEqual({ status: 200, approvals: 1 });
    // The three refusals change nothing, so they run side by side.
    const [again, byAlice, puppet] = await Promise.all([
      runCli('controller', ['rollout', 'approve', rolloutId, '--ring', 'Test', '--data-dir', dataDir, '--api-token', second]),
      runCli('controller', ['rollout', 'approve', rolloutId, '--ring', 'Test', '--data-dir', dataDir, '--api-token', alice.stdout.trim()]),
      runCli('controller', ['api-token', 'create', '--name', 'bob', '--role', 'admin', '--person', 'bob', '--data-dir', dataDir, '--api-token', alice.stdout.trim()]),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/PF_ERR_SAME_PERSON/);
    expect(byAlice.stderr).toMatch(/PF_ERR_SAME_PERSON/);
    expect(puppet.stderr).toMatch(/PF_ERR_FORBIDDEN/);
    // A token alice mints is alice's.
    const aliceSecond = (await api<{ person: string }>(boot, 'POST', '/api/v1/api-tokens', { name: 'alice-2', role: 'admin' }, alice.stdout.trim())).body;
    expect(aliceSecond.person).toBe('alice');
    const rollout = (await api<{ rings: { ring: string; approvals: { by: string[]; needed: number } }[] }>(boot, 'GET', `/api/v1/rollouts/${rolloutId}`)).body;
    expect(rollout.rings.find((r) => r.ring === 'Test')?.approvals).toMatchObject({ needed: 2, by: ['bootstrap admin'] });
    await api(boot, 'POST', `/api/v1/rollouts/${rolloutId}/cancel`, {});
  });
});

describe('two-person rule with user accounts', () => {
  it('counts two signed-in users as two people, and two sessions of one user as one', { timeout: 120_000 }, async () => {
    expect(boot.adminUser).toBeTruthy();
    expect(boot.adminPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const pkgs = await api<{ items: { name: string; version: string }[] }>(boot, 'GET', `/api/v1/hosts/${agentId}/packages?limit=1`);
    const pkg = pkgs.body.items[0] as { name: string; version: string };
    expect((await api(boot, 'PATCH', '/api/v1/rings/Test', { approvalRequired: true })).status).toBe(200);
    expect((await api(boot, 'PUT', `/api/v1/hosts/${agentId}/ring`, { ring: 'Test' })).status).toBe(200);
    const started = await cli(['rollout', 'start', '--package', `${pkg.name}=${pkg.version}+pf2`, '--ring', 'Test', '--expedite', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const rolloutId = (JSON.parse(started.stdout) as { id: string }).id;

    // A second admin user, made with the CLI; the password goes in on stdin, never on the command line.
    const made = await runCli('controller', ['users', 'create', 'carol', '--role', 'admin', '--password-stdin', '--data-dir', dataDir], { input: 'carol admin password\n' });
    expect(made.code, made.stderr).toBe(0);
    const listed = await cli(['users', 'list', '--json']);
    expect((JSON.parse(listed.stdout) as { items: { name: string; role: string }[] }).items.map((u) => [u.name, u.role])).toEqual(expect.arrayContaining([[boot.adminUser, 'admin'], ['carol', 'admin']]));

    const adminOne = await signIn(boot, boot.adminUser!, boot.adminPassword!);
    const adminTwo = await signIn(boot, boot.adminUser!, boot.adminPassword!);
    const carol = await signIn(boot, 'carol', 'carol admin password');
    const first = await adminOne.call<{ approvals: number }>('POST', `/api/v1/rollouts/${rolloutId}/approve`, { ring: 'Test' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    // Another session of the same user is the same person; so is the bootstrap token, which is that user's.
    const again = await adminTwo.call<{ error: { code: string } }>('POST', `/api/v1/rollouts/${rolloutId}/approve`, { ring: 'Test' });
    expect(again.body.error.code).toBe('PF_ERR_SAME_PERSON');
    const byToken = await api<{ error: { code: string } }>(boot, 'POST', `/api/v1/rollouts/${rolloutId}/approve`, { ring: 'Test' });
    expect(byToken.body.error.code).toBe('PF_ERR_SAME_PERSON');
    const second = await carol.call<{ approvals: number; needed: number }>('POST', `/api/v1/rollouts/${rolloutId}/approve`, { ring: 'Test' });
    expect({ status: second.status, approvals: second.body.approvals }).toEqual({ status: 200, approvals: 2 });
    const audit = await api<{ items: { action: string; actor: string }[] }>(boot, 'GET', '/api/v1/audit?action=rollout.approve&limit=5');
    expect(audit.body.items.slice(0, 2).map((e) => e.actor)).toEqual(['user:carol', `user:${boot.adminUser}`]);
    await api(boot, 'POST', `/api/v1/rollouts/${rolloutId}/cancel`, {});
  });
});

describe('expediting', () => {
  it('refuses an operator leaving out earlier rings or backdating the release; admins must say expedite', { timeout: 60_000 }, async () => {
    const op = (await api<{ token: string }>(boot, 'POST', '/api/v1/api-tokens', { name: 'op', role: 'operator' })).body.token;
    const pkgs = await api<{ items: { name: string; version: string }[] }>(boot, 'GET', `/api/v1/hosts/${agentId}/packages?limit=1`);
    const pkg = pkgs.body.items[0] as { name: string; version: string };
    const packages = [{ name: pkg.name, version: `${pkg.version}+pf2` }];
    const pinned = await api(boot, 'PUT', `/api/v1/hosts/${agentId}/ring`, { ring: 'Broad' });
    expect(pinned.status, JSON.stringify(pinned.body)).toBe(200);
    const assigned = await cli(['rings', 'assign']);
    expect(assigned.code, assigned.stderr).toBe(0);
    expect(assigned.stdout).toBe('RING   HOSTS\nTest   0\nFirst  0\nFast   0\nBroad  1\n1 hosts: 1 pinned, 0 by rule, 0 automatic\n');
    const skip = await api<{ error: { code: string; message: string } }>(boot, 'POST', '/api/v1/rollouts', { packages, rings: ['Broad'] }, op);
    expect({ status: skip.status, code: skip.body.error.code, message: skip.body.error.message }).toMatchObject({ status: 403, code: 'PF_ERR_EXPEDITE_REQUIRED' });
    const backdated = await api<{ error: { code: string; message: string } }>(boot, 'POST', '/api/v1/rollouts', { packages, releasedAt: '2000-01-01T00:00:00Z' }, op);
    expect({ status: backdated.status, code: backdated.body.error.code }).toEqual({ status: 403, code: 'PF_ERR_EXPEDITE_REQUIRED' });
    expect(backdated.body.error.message).toMatch(/releasedAt 2000-01-01/);
    const asked = await api<{ error: { code: string } }>(boot, 'POST', '/api/v1/rollouts', { packages, rings: ['Broad'], expedite: true }, op);
    expect(asked.body.error.code).toBe('PF_ERR_FORBIDDEN');
    // Nothing was issued to the host.
    expect((await api<{ items: unknown[] }>(boot, 'GET', `/api/v1/hosts/${agentId}/commands`)).body.items).toEqual([]);
    // An admin is refused too without expedite, and audited when expediting.
    expect((await api<{ error: { code: string } }>(boot, 'POST', '/api/v1/rollouts', { packages, rings: ['Broad'] })).body.error.code).toBe('PF_ERR_EXPEDITE_REQUIRED');
    const ok = await api<{ id: string; expedite: boolean }>(boot, 'POST', '/api/v1/rollouts', { packages, rings: ['Broad'], expedite: true });
    expect(ok.status).toBe(201);
    const audit = await api<{ items: { action: string; details: { reasons: string[] } }[] }>(boot, 'GET', `/api/v1/audit?action=rollout.expedite&targetId=${ok.body.id}`);
    expect(audit.body.items[0]?.details.reasons).toEqual(['expedite requested', 'leaves out earlier ring(s) Test, First, Fast']);
    await api(boot, 'POST', `/api/v1/rollouts/${ok.body.id}/cancel`, {});
  });
});

describe('API token revocation and expiry', () => {
  it('answers 401 to a revoked and to an expired token', { timeout: 60_000 }, async () => {
    const made = await cli(['api-token', 'create', '--name', 'script', '--role', 'helpdesk', '--json']);
    const t = JSON.parse(made.stdout) as { id: string; token: string; expiresAt: string };
    expect(Date.parse(t.expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    expect((await api(boot, 'GET', '/api/v1/hosts', undefined, t.token)).status).toBe(200);
    const revoked = await cli(['api-token', 'revoke', t.id]);
    expect(revoked.stdout).toMatch(`revoked ${t.id}`);
    const after = await api<{ error: { code: string; message: string } }>(boot, 'GET', '/api/v1/hosts', undefined, t.token);
    expect({ status: after.status, code: after.body.error.code, message: after.body.error.message }).toMatchObject({ status: 401, code: 'PF_ERR_UNAUTHORIZED', message: expect.stringMatching(/revoked/) });
    const audit = await api<{ items: unknown[] }>(boot, 'GET', `/api/v1/audit?action=api-token.revoke&targetId=${t.id}`);
    expect(audit.body.items).toHaveLength(1);

    const short = JSON.parse((await cli(['api-token', 'create', '--name', 'brief', '--role', 'helpdesk', '--expires', '1s', '--json'])).stdout) as { token: string };
    await new Promise((r) => setTimeout(r, 1500));
    const expired = await api<{ error: { code: string; message: string } }>(boot, 'GET', '/api/v1/hosts', undefined, short.token);
    expect({ status: expired.status, message: expired.body.error.message }).toMatchObject({ status: 401, message: expect.stringMatching(/expired/) });
  });
});

describe('agent keys', () => {
  it('refuses small-order and non-canonical keys at enrollment with PF_ERR_BAD_AGENT_KEY', { timeout: 60_000 }, async () => {
    const keys = [
      '00'.repeat(32),
      `01${'00'.repeat(31)}`,
      `ec${'ff'.repeat(30)}7f`,
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
      `ed${'ff'.repeat(30)}7f`,
    ];
    const token = await enrollToken();
    for (const hex of keys) {
      const res = await api<{ error: { code: string } }>(boot, 'POST', '/api/v1/agents/enroll', { token, publicKey: Buffer.from(hex, 'hex').toString('base64'), hostname: 'evil', platform: 'linux', agentVersion: '0.1.0' }, '');
      expect({ key: hex, status: res.status, code: res.body.error.code }).toEqual({ key: hex, status: 400, code: 'PF_ERR_BAD_AGENT_KEY' });
    }
  });
});

describe('agent revocation', () => {
  it('closes a connected agent at once; it stops retrying and cannot come back', { timeout: 120_000 }, async () => {
    const agent = startAgentProcess(stateDir);
    try {
      await waitFor(async () => (await api<{ online: boolean }>(boot, 'GET', `/api/v1/hosts/${agentId}`)).body.online && /agent authenticated|session|welcome/i.test(agent.output()), 'the agent to connect', 30_000);
      await waitFor(() => agent.output().includes('"msg":"connected"') || agent.output().includes('welcome') || agent.output().length > 0, 'agent output');
      const exited = new Promise<number>((resolve) => agent.child.once('exit', () => resolve(Date.now())));
      const res = await cli(['hosts', 'revoke', agentId, '--reason', 'stolen laptop']);
      const revokedAt = Date.now();
      expect(res.code, res.stderr).toBe(0);
      // The socket is closed and the agent, told PF_ERR_AGENT_REVOKED, gives up instead of retrying.
      const exitAt = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
      expect(exitAt).toBeGreaterThan(0);
      expect(exitAt - revokedAt).toBeLessThan(1000);
      expect(agent.child.exitCode).not.toBe(0);
      expect(agent.output()).toMatch(/PF_ERR_AGENT_REVOKED/);
      // And at the next handshake it is refused.
      const again = await runCli('agent', ['run', '--state-dir', stateDir, '--once', '--timeout', '20s']);
      expect(again.code).not.toBe(0);
      expect(`${again.stdout}${again.stderr}`).toMatch(/PF_ERR_AGENT_REVOKED/);
      const audit = await api<{ items: { details: { reason: string } }[] }>(boot, 'GET', `/api/v1/audit?action=host.revoke&targetId=${agentId}`);
      expect(audit.body.items[0]?.details.reason).toBe('stolen laptop');
    } finally {
      await agent.stop();
    }
  });
});
