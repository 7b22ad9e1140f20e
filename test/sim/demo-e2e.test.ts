/**
 * `pnpm start --demo` end to end: the demo driver (test/sim/demo.ts) with a
 * real controller process in simulation mode and real simulated hosts over
 * WSS, as a newcomer runs it, only smaller and unpaced: 200 hosts of the
 * demo scenario, 3 virtual days, no delay between hours.
 *
 * It checks what the demo is for: the narrative reports missing patches, a
 * rollout, a gate trip (block or halt) and a rollback; after the last day the
 * controller still answers the CLI; a second demo is refused while one runs;
 * and a Ctrl-C sent to the whole process group, as a terminal sends it,
 * stops everything: exit 0, no process of the group left, no lock left.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../support/processes';

const DEMO = fileURLToPath(new URL('./demo.ts', import.meta.url));

/** Pids of the live processes of process group `pgid`. */
function groupPids(pgid: number): number[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,pgid='], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter(([pid, g]) => g === pgid && pid !== undefined && pid > 0)
    .map(([pid]) => pid!);
}

const home = mkdtempSync(join(tmpdir(), 'pf-demo-e2e-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('pnpm start --demo', () => {
  it('reports missing patches, rollouts, a tripped gate and a rollback; serves the CLI after the last day; Ctrl-C leaves nothing behind', { timeout: 240_000 }, async () => {
    const env = { ...process.env, PATCHFLEET_HOME: home, PATCHFLEET_DEMO_PORT: '0', DATABASE_URL: '' };
    // Its own process group, as a shell gives a foreground job: the Ctrl-C below reaches every process of it.
    const demo = spawn(process.execPath, ['--import', 'tsx', DEMO, '--demo', '--demo-hour-ms', '0', '--demo-days', '3', '--demo-hosts', '200'], {
      cwd: REPO_ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    demo.stdout.on('data', (d: Buffer) => (out += d.toString()));
    demo.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    const pgid = demo.pid!;
    try {
      const deadline = Date.now() + 200_000;
      while (!/the virtual clock stops here/.test(out)) {
        if (demo.exitCode !== null || Date.now() > deadline) throw new Error(`the demo did not reach its last day:\n${out}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const dataDir = join(home, 'demo');
      expect(out).toContain(`controller   https://127.0.0.1:`);
      expect(out).toContain(`admin token  in ${join(dataDir, 'bootstrap.json')}`);
      expect(out).toContain(`pnpm patchfleet rollout list --data-dir ${dataDir}`);

      // Missing patches by priority, read from the API: the bad KB is missing on the Windows 11 laptops at day 0.
      const day0 = /day 0 \+00h .*: (\d+) of (\d+) hosts online\n\[demo\] {3}missing patches by priority \(hosts\): (.*)\n/.exec(out);
      expect(day0, out).not.toBeNull();
      expect(Number(day0![2])).toBe(200);
      expect(day0![3]).toMatch(/KB5072033 \d+/);
      expect(day0![3]).toMatch(/USN-7604-1 \d+/);
      // Rollouts ordered and shown ring by ring.
      expect(out).toMatch(/rollout ordered at day 0 \+00h .*: demo: KB5072033 \(ro_[0-9a-f]+\)/);
      expect(out).toMatch(/rollout demo: KB5072033 \(ro_[0-9a-f]+\): \w+; Test \w+, First \w+/);
      // A gate tripped (a block with its statistics) or a rollout halted, with its reason.
      expect(out).toMatch(/GATE TRIPPED at day \d .*: KB5072033 blocked for .*HP EliteBook.*\n\[demo\] {3}why: .*application crashes|ROLLOUT HALTED: demo: \S+ \(ro_[0-9a-f]+\): ring \w+/);
      // And a rollback counted from the rollouts' host states.
      expect(out).toMatch(/rollbacks: [1-9]\d* hosts? rolled back \(demo: KB5072033 [1-9]/);

      // The clock stopped, the controller still answers the CLI the narrative names.
      const blocks = await runCli('controller', ['blocks', 'list', '--data-dir', dataDir, '--json'], { env });
      expect(blocks.code, blocks.stderr).toBe(0);
      expect((JSON.parse(blocks.stdout) as { patchId: string }[]).map((b) => b.patchId)).toContain('KB5072033');

      // A second demo on the same home is refused while this one runs, and removes nothing.
      const second = spawnSync(process.execPath, ['--import', 'tsx', DEMO, '--demo'], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
      expect(second.status, second.stderr).toBe(2);
      expect(second.stderr).toContain('another demo is running');
      expect(existsSync(join(dataDir, 'bootstrap.json'))).toBe(true);

      const pids = groupPids(pgid);
      // The driver, the controller and two host workers at least.
      expect(pids.length).toBeGreaterThanOrEqual(4);
      process.kill(-pgid, 'SIGINT');
      expect(await exited).toBe(0);
      expect(out).toContain('stopped: no simulated host and no controller is left running');
      // Give the kernel a moment to reap, then nothing of the group may be left.
      const until = Date.now() + 10_000;
      while (groupPids(pgid).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      expect(groupPids(pgid)).toEqual([]);
      expect(existsSync(join(home, 'demo.lock'))).toBe(false);
      expect(existsSync(join(dataDir, 'pgdata.lock'))).toBe(false);
    } finally {
      if (groupPids(pgid).length > 0) process.kill(-pgid, 'SIGKILL');
    }
  });
});
