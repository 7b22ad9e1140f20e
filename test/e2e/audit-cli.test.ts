/**
 * `patchfleet audit list` and `audit export` against a real controller
 * process: the export streams every entry as JSON lines, oldest first, to a
 * file; the export itself is audited; bad ranges and non-admin tokens are
 * refused with their codes.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { runCli, startControllerProcess, type ControllerProcess } from '../support/processes';

let dir: string;
let dataDir: string;
let dropDb: () => Promise<void>;
let controller: ControllerProcess;
let boot: Bootstrap;

const cli = (args: string[]) => runCli('controller', [...args, '--data-dir', dataDir]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-audit-cli-'));
  const db = await createTestDatabaseUrl();
  dropDb = db.drop;
  dataDir = join(dir, 'controller');
  // A migrated PGlite from the template: the controller skips initdb and the migrations (seconds).
  if (db.url === undefined) await seedPgliteDataDir(dataDir);
  controller = await startControllerProcess({ dataDir, databaseUrl: db.url });
  boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;
  for (const description of ['first', 'second', 'third']) {
    const made = await api(boot, 'POST', '/api/v1/enrollment-tokens', { uses: 1, description });
    expect(made.status).toBe(201);
  }
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('patchfleet audit', () => {
  it('lists recent entries, newest first, filtered by action', async () => {
    const res = await cli(['audit', 'list', '--action', 'enroll-token.create', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const items = (JSON.parse(res.stdout) as { items: { id: number; action: string }[] }).items;
    expect(items.map((i) => i.action)).toEqual(['enroll-token.create', 'enroll-token.create', 'enroll-token.create']);
    expect(items[0]!.id).toBeGreaterThan(items[2]!.id);
  });

  it('exports every entry as JSON lines, oldest first, to a 0600 file, and audits the export', { timeout: 120_000 }, async () => {
    const out = join(dir, 'audit.jsonl');
    const res = await cli(['audit', 'export', '--out', out]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/wrote \d+ bytes of audit entries to/);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { id: number; action: string; at: string });
    expect(lines.filter((l) => l.action === 'enroll-token.create')).toHaveLength(3);
    const ids = lines.map((l) => l.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // The export was recorded before its first byte, so it is in its own output.
    expect(lines.at(-1)?.action).toBe('audit.export');

    const later = await cli(['audit', 'export', '--since', new Date(Date.now() + 3_600_000).toISOString()]);
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toBe('');
  });

  it('refuses a range that ends before it starts, and a non-admin token', async () => {
    // The helpdesk token is only the stage (a CLI process costs seconds; trust.test.ts mints tokens with the CLI).
    const helpdesk = await api<{ token: string }>(boot, 'POST', '/api/v1/api-tokens', { name: 'desk', role: 'helpdesk' });
    expect(helpdesk.status, JSON.stringify(helpdesk.body)).toBe(201);
    // Both refusals change nothing, so they run side by side.
    const [bad, refused] = await Promise.all([
      cli(['audit', 'export', '--since', '2026-02-01T00:00:00Z', '--until', '2026-01-01T00:00:00Z']),
      cli(['audit', 'export', '--api-token', helpdesk.body.token]),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error PF_ERR_VALIDATION: /);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error PF_ERR_FORBIDDEN: /);
  });
});
