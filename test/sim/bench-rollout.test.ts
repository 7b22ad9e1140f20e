/**
 * The fleet simulator end to end (issue 11, "Done when"): a small scenario
 * (test/sim/scenarios/ci-small.json: 200 hosts in two classes, three
 * days, a Windows KB that makes crashes 40 times and service failures 20
 * times as frequent, and a harmless Ubuntu notice) played by
 * `pnpm bench:rollout`'s runner against one real controller in simulation
 * mode (PGlite, or PostgreSQL with DATABASE_URL), twice with the same seed.
 * The bad pair is blocked, the good one is not and got installed without
 * harm, and the two runs report the same metrics but for wallSeconds.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RolloutReport } from './metrics';
import { loadScenario } from './scenario';
import { DEFAULT_RUN_OPTIONS, runRollout, type RunResult } from './runner/run';

const SCENARIO = fileURLToPath(new URL('./scenarios/ci-small.json', import.meta.url));
const lines: string[] = [];
const say = (line: string) => lines.push(line);

const withoutWall = (r: RolloutReport) => ({ ...r, summary: { ...r.summary, wallSeconds: 0 } });

describe('pnpm bench:rollout on a small scenario', () => {
  it('blocks the clearly bad patch, not the good one, and gives the same metrics twice for one seed', { timeout: 600_000 }, async () => {
    const scenario = await loadScenario(SCENARIO);
    const opts = { ...DEFAULT_RUN_OPTIONS, databaseUrl: process.env.DATABASE_URL || undefined };
    const runs: RunResult[] = [];
    for (let i = 0; i < 2; i++) {
      try {
        runs.push(await runRollout(scenario, opts, say));
      } catch (err) {
        process.stderr.write(`${lines.join('\n')}\n`);
        throw err;
      }
    }
    const [first, second] = runs as [RunResult, RunResult];
    const pair = (r: RunResult, patch: string) => r.report.pairs.find((p) => p.patch === patch)!;

    const bad = pair(first, 'KB5071001');
    expect(bad).toMatchObject({ class: 'win11-hp', bad: true, blocked: true, patchedAtEnd: 0 });
    // Blocked after its first hosts were patched (ring First, a day after release), before the run ended.
    expect(bad.exposed).toBeGreaterThan(0);
    expect(bad.exposed).toBeLessThan(10);
    expect(bad.blockedAtDay).toBeGreaterThan(1);
    expect(bad.blockedAtDay).toBeLessThan(scenario.days);
    expect(first.reasons.filter((b) => b.patch === 'KB5071001').map((b) => b.by)).toContain('class-block');

    const good = pair(first, 'USN-7801-1');
    expect(good).toMatchObject({ class: 'ubuntu-api', bad: false, blocked: false, harmed: 0, rolledBack: 0 });
    expect(good.patchedAtEnd).toBeGreaterThan(0);
    expect(first.report.summary).toMatchObject({ precision: 1, recall: 1 });

    expect(withoutWall(second.report)).toEqual(withoutWall(first.report));
    expect(second.totals.samples).toBe(first.totals.samples);
    expect(second.totals.commandsSent).toBe(first.totals.commandsSent);
  });
});
