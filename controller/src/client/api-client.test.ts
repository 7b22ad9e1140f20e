/** Where the CLI finds its controller: flags, environment, then bootstrap.json under --data-dir, PATCHFLEET_DATA_DIR or PATCHFLEET_HOME as `pnpm start` lays it out. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPfError } from '@patchfleet/shared/errors';
import { resolveClientOptions } from './api-client';

let dir: string;

function bootstrapIn(dataDir: string, url: string, adminToken: string): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'bootstrap.json'), JSON.stringify({ url, adminToken, caFingerprint: 'ab'.repeat(32), commandKey: 'k' }));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pf-client-opts-'));
  // pnpm start's layout: <home>/controller/bootstrap.json.
  bootstrapIn(join(dir, 'home', 'controller'), 'https://localhost:8443', 'pfa_home');
  bootstrapIn(join(dir, 'elsewhere'), 'https://ctl.example:9443', 'pfa_elsewhere');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('resolveClientOptions', () => {
  it('reads <PATCHFLEET_HOME>/controller/bootstrap.json when nothing else is given, as pnpm start writes it', () => {
    expect(resolveClientOptions({}, { PATCHFLEET_HOME: join(dir, 'home') })).toEqual({ server: 'https://localhost:8443', token: 'pfa_home', caFingerprint: 'ab'.repeat(32) });
  });

  it('lets --data-dir, then PATCHFLEET_DATA_DIR, win over PATCHFLEET_HOME', () => {
    const env = { PATCHFLEET_HOME: join(dir, 'home'), PATCHFLEET_DATA_DIR: join(dir, 'elsewhere') };
    expect(resolveClientOptions({}, env).token).toBe('pfa_elsewhere');
    expect(resolveClientOptions({ dataDir: join(dir, 'home', 'controller') }, env).token).toBe('pfa_home');
  });

  it('lets flags and PATCHFLEET_SERVER / PATCHFLEET_API_TOKEN win over bootstrap.json, pinning its fingerprint only for its own server', () => {
    const env = { PATCHFLEET_HOME: join(dir, 'home') };
    expect(resolveClientOptions({ apiToken: 'pfa_flag' }, env)).toMatchObject({ server: 'https://localhost:8443', token: 'pfa_flag', caFingerprint: 'ab'.repeat(32) });
    expect(resolveClientOptions({}, { ...env, PATCHFLEET_SERVER: 'https://other:8443/', PATCHFLEET_API_TOKEN: 'pfa_env' })).toEqual({ server: 'https://other:8443', token: 'pfa_env', caFingerprint: undefined });
  });

  it('says where it looked when it finds no controller', () => {
    const home = join(dir, 'empty-home');
    let caught: unknown;
    try {
      resolveClientOptions({}, { PATCHFLEET_HOME: home });
    } catch (err) {
      caught = err;
    }
    expect(isPfError(caught) && caught.code).toBe('PF_ERR_VALIDATION');
    expect((caught as Error).message).toContain(`no ${join(home, 'controller', 'bootstrap.json')}`);
  });
});
