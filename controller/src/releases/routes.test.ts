import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, nodeEd25519 } from '@patchfleet/shared';
import { RELEASE_PURPOSE, signRelease } from '@patchfleet/shared/release';
import { errorOf, openRouteKit, roleTokens, type RouteKit } from '../api/routes/route-kit.test-support';

const T0 = Date.parse('2026-12-07T12:00:00Z');
const sha = 'ab'.repeat(32);

describe('release files and the agent-releases listing', () => {
  let kit: RouteKit;
  let dir: string;
  const clock = new ManualClock(T0);
  let helpdesk = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pf-releases-'));
    const key = nodeEd25519.generateKeyPair();
    const meta = (version: string, expires: string) => JSON.stringify(signRelease({ purpose: RELEASE_PURPOSE, version, expires, files: [{ platform: 'linux-x64', name: `agent-${version}`, sha256: sha, size: 5 }] }, key.secretKey));
    writeFileSync(join(dir, 'agent-release.json'), meta('0.2.0', '2026-12-30T00:00:00Z'));
    writeFileSync(join(dir, 'agent-release-0.1.5.json'), meta('0.1.5', '2026-12-01T00:00:00Z'));
    writeFileSync(join(dir, 'agent-release-broken.json'), '{"signed": 1}');
    writeFileSync(join(dir, 'agent-0.2.0'), 'hello');
    writeFileSync(join(dir, '.hidden'), 'secret');
    mkdirSync(join(dir, 'sub'));
    kit = await openRouteKit(clock, { releasesDir: dir });
    helpdesk = (await roleTokens(kit.db, new Date(T0))).helpdesk;
  });

  afterAll(async () => {
    await kit?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams a file with its length, without credentials', async () => {
    const res = await kit.call('GET', '/downloads/agent-0.2.0', undefined);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe('5');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.body).toBe('hello');
  });

  it('answers 404 PF_ERR_NOT_FOUND for a missing file, a folder, a dot-file and anything that leaves the folder', async () => {
    for (const name of ['nothing', 'sub', '.hidden', '..%2Fpgdata', '..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', 'sub%2F..%2Fagent-0.2.0']) {
      const res = await kit.call('GET', `/downloads/${name}`, undefined);
      expect(res.statusCode, name).toBe(404);
      expect(errorOf(res).code, name).toBe('PF_ERR_NOT_FOUND');
    }
    // A NUL never reaches the route: the router refuses the URL.
    expect(errorOf(await kit.call('GET', '/downloads/a%00b', undefined)).code).toBe('PF_ERR_VALIDATION');
  });

  it('lists well-formed releases, newest first, marking expired ones (any role; not anonymous)', async () => {
    expect((await kit.call('GET', '/api/v1/agent-releases', undefined)).statusCode).toBe(401);
    const res = await kit.call('GET', '/api/v1/agent-releases', helpdesk);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { dir: string; items: { version: string; manifest: string; expired: boolean }[] };
    expect(body.dir).toBe(dir);
    expect(body.items.map((i) => [i.version, i.manifest, i.expired])).toEqual([
      ['0.2.0', 'agent-release.json', false],
      ['0.1.5', 'agent-release-0.1.5.json', true],
    ]);
  });
});
