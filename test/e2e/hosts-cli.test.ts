/**
 * `patchfleet hosts show|patches HOST` against a real controller process with
 * real agents of this machine: the CLI finds the controller through
 * PATCHFLEET_HOME alone (pnpm start's layout, no --data-dir or --server),
 * a host is named by hostname, address or id prefix, and two agents of the
 * same machine make its hostname ambiguous.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl } from '../support/db';
import { runCli, startControllerProcess, type ControllerProcess, type RunResult } from '../support/processes';

let home: string;
let controller: ControllerProcess;
let boot: Bootstrap;
let dropDb: () => Promise<void>;
const agents: string[] = [];

/** The controller CLI with nothing but PATCHFLEET_HOME to find the controller. */
const cli = (args: string[], env: NodeJS.ProcessEnv = { PATCHFLEET_HOME: home }): Promise<RunResult> => runCli('controller', args, { env });

async function enrollAndReport(name: string): Promise<string> {
  const token = await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', { uses: 1 });
  const stateDir = join(home, name);
  const enrolled = await runCli('agent', ['enroll', '--server', boot.url.replace(/^https:/, 'wss:'), '--token', token.body.token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  const ran = await runCli('agent', ['run', '--state-dir', stateDir, '--once']);
  expect(ran.code, ran.stderr).toBe(0);
  return (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;
}

beforeAll(async () => {
  // Nothing else may tell the CLI where the controller is.
  for (const v of ['PATCHFLEET_DATA_DIR', 'PATCHFLEET_SERVER', 'PATCHFLEET_API_TOKEN']) expect(process.env[v], v).toBeUndefined();
  home = mkdtempSync(join(tmpdir(), 'pf-hosts-cli-'));
  const db = await createTestDatabaseUrl();
  dropDb = db.drop;
  controller = await startControllerProcess({ dataDir: join(home, 'controller'), databaseUrl: db.url });
  boot = JSON.parse(readFileSync(join(home, 'controller', 'bootstrap.json'), 'utf8')) as Bootstrap;
  agents.push(await enrollAndReport('agent-1'));
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await dropDb?.();
  rmSync(home, { recursive: true, force: true });
});

describe('hosts show / hosts patches HOST', () => {
  it('finds the controller through PATCHFLEET_HOME and a host by hostname, address or id prefix', { timeout: 60_000 }, async () => {
    const [id] = agents as [string];
    const detail = await api<{ hostname: string; addresses: string[] }>(boot, 'GET', `/api/v1/hosts/${id}`);
    expect(detail.body.hostname).toBe(hostname());
    const address = detail.body.addresses[0];
    expect(address, 'this machine reports an address').toBeDefined();
    const [list, byName, byPrefix, byAddress] = await Promise.all([
      cli(['hosts', 'list']),
      cli(['hosts', 'show', hostname().toUpperCase()]),
      cli(['hosts', 'show', id.slice(0, 8)]),
      cli(['hosts', 'patches', address as string]),
    ]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(id);
    for (const shown of [byName, byPrefix]) {
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toMatch(new RegExp(`^id: +${id}$`, 'm'));
      expect(shown.stdout).toMatch(new RegExp(`^hostname: +${hostname()}$`, 'm'));
    }
    expect(byAddress.code, byAddress.stderr).toBe(0);
    expect(byAddress.stdout.split('\n')[0]).toBe(`host: ${hostname()} (${id})`);
  });

  it('refuses a hostname two hosts share, naming both, and a name nothing has', { timeout: 90_000 }, async () => {
    agents.push(await enrollAndReport('agent-2'));
    const [ambiguous, none, patches] = await Promise.all([cli(['hosts', 'show', hostname()]), cli(['hosts', 'show', 'no-such-host']), cli(['hosts', 'patches', hostname()])]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(new RegExp(`^error PF_ERR_HOST_AMBIGUOUS: 2 hosts match "${hostname()}" by hostname: `));
    for (const id of agents) expect(ambiguous.stderr).toContain(`${hostname()} (${id})`);
    expect(patches.code).toBe(1);
    expect(patches.stderr).toContain('PF_ERR_HOST_AMBIGUOUS');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^error PF_ERR_NOT_FOUND: no host matches "no-such-host"/);
    // The full id still names exactly one.
    const byId = await cli(['hosts', 'show', agents[1] as string]);
    expect(byId.code, byId.stderr).toBe(0);
  });

  it('says which bootstrap.json it looked for when PATCHFLEET_HOME holds no controller', async () => {
    const empty = join(home, 'no-controller-here');
    const res = await cli(['hosts', 'list'], { PATCHFLEET_HOME: empty });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`error PF_ERR_VALIDATION: no controller given`);
    expect(res.stderr).toContain(join(empty, 'controller', 'bootstrap.json'));
  });
});
