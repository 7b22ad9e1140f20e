/**
 * The catalog and `assess` from the command line, as real processes: import
 * every fixture feed into a fresh data directory, then assess an Ubuntu
 * package list and a Windows hotfix list offline.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { runCli } from '../support/processes';

const FEEDS = fileURLToPath(new URL('../fixtures/advisories/', import.meta.url));
const INPUTS = fileURLToPath(new URL('../fixtures/assess/', import.meta.url));

let dir: string;
let dbArgs: string[];
let dropDb: () => Promise<void>;

interface AssessJson {
  missing: { id: string; title: string; cves: string[]; packages?: { name: string; installed: string; fixed: string }[]; requires?: string; hotpatch?: boolean; priority: { score: number; tier: string; dueBy: string; reasons: string[] } }[];
  installed: string[];
  summary: { missing: number; installed: number };
}

function dpkgLt(a: string, b: string): boolean {
  try {
    execFileSync('dpkg', ['--compare-versions', a, 'lt', b]);
    return true;
  } catch {
    return false; // dpkg exits 1 when the relation does not hold
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-assess-'));
  const db = await createTestDatabaseUrl();
  dropDb = db.drop;
  dbArgs = db.url ? ['--database-url', db.url] : ['--data-dir', join(dir, 'data')];
  // A migrated PGlite from the template: the import skips initdb and the migrations (seconds).
  if (db.url === undefined) await seedPgliteDataDir(join(dir, 'data'));
  const msrc = readdirSync(join(FEEDS, 'msrc')).filter((f) => f.endsWith('.xml')).map((f) => join(FEEDS, 'msrc', f));
  const res = await runCli('controller', ['catalog', 'import', ...dbArgs, '--usn-osv', join(FEEDS, 'usn'), '--msrc-cvrf', ...msrc, '--kev', join(FEEDS, 'kev/known_exploited_vulnerabilities.json'), '--epss', join(FEEDS, 'epss/epss_subset.csv')], { timeoutMs: 120_000 });
  expect(res.code, res.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('patchfleet assess', () => {
  it('Windows 11 24H2 at 26100.4946 with KB5063878: one cumulative update missing, KB5072033, carrying the superseded KBs\' CVEs; no hotpatch', async () => {
    const res = await runCli('controller', ['assess', ...dbArgs, '--os', 'windows', '--build', '10.0.26100.4946', '--type', 'client', '--arch', 'x64', '--hotfix', join(INPUTS, 'hotfix-win11-24h2-4946.ps51.json'), '--json', '--at', '2026-01-15T00:00:00Z']);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as AssessJson;
    expect(out.missing.map((m) => m.id)).toEqual(['KB5072033']);
    expect(out.missing.some((m) => m.hotpatch)).toBe(false);
    const kb = out.missing[0]!;
    // CVEs first fixed by the November and October updates ride along with December's.
    expect(kb.cves).toEqual(expect.arrayContaining(['CVE-2025-62215', 'CVE-2025-62208']));
    expect(kb.priority.tier).toMatch(/^(critical|high)$/);
    expect(kb.priority.reasons.join(' ')).toContain('KEV');
    // The June update (26100.4349) is below the host's build: installed, though not in the hotfix list.
    expect(out.installed).toContain('KB5060842');
    expect(out.installed).not.toContain('KB5072033');
  });

  it('Ubuntu 24.04: USNs whose fixed versions are above the installed ones, judged as dpkg judges them', async () => {
    const res = await runCli('controller', ['assess', ...dbArgs, '--os', 'ubuntu-24.04', '--dpkg', join(INPUTS, 'dpkg-ubuntu-24.04-small.tsv'), '--json']);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as AssessJson;
    expect(out.missing.map((m) => m.id).sort()).toEqual(['USN-6756-1', 'USN-7604-1']);
    for (const m of out.missing) for (const p of m.packages ?? []) expect(dpkgLt(p.installed, p.fixed)).toBe(true);
    expect(out.installed).toEqual(expect.arrayContaining(['USN-7012-1', 'USN-6859-1']));
    // Sorted by priority, most urgent first.
    const scores = out.missing.map((m) => m.priority.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('prints a readable table without --json', async () => {
    const res = await runCli('controller', ['assess', ...dbArgs, '--os', 'ubuntu-24.04', '--dpkg', join(INPUTS, 'dpkg-ubuntu-24.04-small.tsv')]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^ID\s+TIER\s+SCORE\s+DUE/m);
    expect(res.stdout).toContain('USN-7604-1');
    expect(res.stdout).toMatch(/2 missing/);
  });

  it('refuses a bad input file naming the line, and bad flags', async () => {
    const bad = join(dir, 'bad.tsv');
    execFileSync('sh', ['-c', `printf 'bash\\t5.2.21-2ubuntu4\\tbash\\t5.2.21-2ubuntu4\\nbroken line without tabs\\n' > '${bad}'`]);
    const res = await runCli('controller', ['assess', ...dbArgs, '--os', 'ubuntu-24.04', '--dpkg', bad]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/PF_ERR_BAD_INPUT_FILE/);
    expect(res.stderr).toMatch(/line 2/);
    const flags = await runCli('controller', ['assess', ...dbArgs, '--os', 'windows', '--build', '10.0.26100.4946']);
    expect(flags.code).toBe(1);
    expect(flags.stderr).toMatch(/PF_ERR_VALIDATION/);
  });
});
