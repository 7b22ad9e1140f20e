/**
 * `pnpm bench:gates [--factor 1] [--json]`
 *
 * Prints the gates' measured error rates (the same seeded scenarios
 * controller/src/safety/stats/gates.montecarlo.test.ts asserts), ours against
 * the plain uniform-mixture test on the same draws, and how long
 * evaluateCohort takes for one cohort with every gate present.
 */
import { parseArgs } from 'node:util';
import type { CohortEvidence } from '@patchfleet/controller/src/safety/gate-types';
import { COUNT_ALPHA_SHARES, evaluateCohort } from '@patchfleet/controller/src/safety/stats/evaluate';
import * as mc from '@patchfleet/controller/src/safety/stats/montecarlo';
import { COUNT_SIGNALS } from '@patchfleet/controller/src/safety/gate-types';

const { values } = parseArgs({ options: { factor: { type: 'string', default: '1' }, json: { type: 'boolean', default: false } } });
const factor = Number(values.factor);
if (!(factor > 0)) {
  process.stderr.write(`error PF_ERR_USAGE: --factor must be a positive number, got "${values.factor}"\n`);
  process.exit(2);
}
const runs = (n: number): number => Math.max(50, Math.round(n * factor));
const alpha = 0.01;
const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;
const hrs = (h: number): string => (Number.isFinite(h) ? `${h} h` : '-');

const effect = { patched: 20, controls: 100, baselinePerDay: 0.05, alpha };
const results = {
  noEffect: mc.noEffect({ runs: runs(10_000), seed: 102, alpha }),
  x6Within3Days: mc.withEffect({ ...effect, runs: runs(4_000), seed: 201, ratio: 6, days: 3 }),
  x3Within10Days: mc.withEffect({ ...effect, runs: runs(4_000), seed: 202, ratio: 3, days: 10 }),
  x2Within21Days: mc.withEffect({ ...effect, runs: runs(2_000), seed: 203, ratio: 2, days: 21 }),
  fixHalvesCrashes: mc.withEffect({ patched: 200, controls: 1000, baselinePerDay: 0.1, alpha, runs: runs(500), seed: 301, ratio: 0.5, days: 21 }),
  outagesUnderWaves: mc.incidentsUnderWaves({ runs: runs(500), seed: 401, alpha, hosts: 300 }),
  installHarm: mc.installHarm({ runs: runs(2_000), seed: 501, alpha, rate: 0.2, installs: 30, baselineTrials: 1000, baselineFailures: 10 }),
  installNoHarm: mc.installNoHarm({ runs: runs(2_000), seed: 601, alpha, installs: 500 }),
  absoluteLimitCost: [0.001, 0.005, 0.01].map((rate, i) => ({ rate, ...mc.absoluteLimitCost({ runs: runs(4_000), seed: 701 + i, alpha, rate, installs: 500 }) })),
  bootLimitCost: [0.001, 0.005].map((rate, i) => ({ rate, ...mc.absoluteLimitCost({ runs: runs(4_000), seed: 711 + i, alpha, rate, installs: 500, gate: 'boot-failure' }) })),
};

// Speed: one cohort with all five count signals (504 hourly increments each) and both outcome gates.
const increments = Array.from({ length: 504 }, (_, h) => ({ patchedEvents: h % 9 === 0 ? 1 : 0, patchedHostHours: 20, controlEvents: h % 3 === 0 ? 1 : 0, controlHostHours: 100 }));
const totals = increments.reduce((t, i) => ({ patchedEvents: t.patchedEvents + i.patchedEvents, patchedHostHours: t.patchedHostHours + i.patchedHostHours, controlEvents: t.controlEvents + i.controlEvents, controlHostHours: t.controlHostHours + i.controlHostHours }));
// Outcomes differ from one cohort to the next (trials 20.., baselines 1,000.. and 400..) so that no remembered answer is reused.
const cohort = (withIncrements: boolean, i: number): CohortEvidence => ({
  patchId: 'bench', hostClass: 'bench', mode: 'controls', patchedHosts: 20, controlHosts: 100, hoursSinceFirstInstall: 504,
  counts: Object.fromEntries(COUNT_SIGNALS.map((s) => [s, withIncrements ? { ...totals, increments } : totals])),
  installs: { trials: 20 + (i % 200), failures: i % 4, baselineTrials: 1000 + i, baselineFailures: 10 + (i % 7) },
  boots: { trials: 20 + (i % 200), failures: i % 2, baselineTrials: 400 + i + (withIncrements ? 10_000 : 0), baselineFailures: i % 3 },
});
const timeIt = (withIncrements: boolean): number => {
  const n = 2000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) evaluateCohort(cohort(withIncrements, i), { alpha });
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
};
const speed = { microsPerCohortTotals: timeIt(false), microsPerCohort504Increments: timeIt(true) };

if (values.json) {
  process.stdout.write(`${JSON.stringify({ factor, ...results, speed }, null, 2)}\n`);
} else {
  const r = results;
  const lines = [
    `gates, alpha ${alpha} per cohort, count signals at their shares (runs x${factor})`,
    `scenario                                              ours        plain uniform mixture (same threshold)`,
    `no effect, ${r.noEffect.runs} cohorts x 5 signals, 21 days hourly`,
    ...COUNT_SIGNALS.map((s) => {
      const p = r.noEffect.perSignal[s]!;
      return `  ${`${s} (share ${COUNT_ALPHA_SHARES[s]}, threshold ${Math.round(p.threshold)})`.padEnd(52)}${pct(p.ours).padEnd(11)} ${pct(p.uniform)}`;
    }),
    `  per cohort (any signal)                             ${pct(r.noEffect.ours).padEnd(11)} ${pct(r.noEffect.uniform)}`,
    `app crashes (threshold ${Math.round(r.x6Within3Days.threshold)}):`,
    `x6, 20 vs 100, trips within 3 days                    ${pct(r.x6Within3Days.ours)} (median ${hrs(r.x6Within3Days.oursMedianHours)})  ${pct(r.x6Within3Days.uniform)} (median ${hrs(r.x6Within3Days.uniformMedianHours)})`,
    `x3, 20 vs 100, trips within 10 days                   ${pct(r.x3Within10Days.ours)} (median ${hrs(r.x3Within10Days.oursMedianHours)})  ${pct(r.x3Within10Days.uniform)} (median ${hrs(r.x3Within10Days.uniformMedianHours)})`,
    `x2, 20 vs 100, trips within 21 days                   ${pct(r.x2Within21Days.ours)} (median ${hrs(r.x2Within21Days.oursMedianHours)})  ${pct(r.x2Within21Days.uniform)} (median ${hrs(r.x2Within21Days.uniformMedianHours)})`,
    `x0.5 (a fix), 200 vs 1,000, trips in 21 days          ${pct(r.fixHalvesCrashes.ours).padEnd(11)} ${pct(r.fixHalvesCrashes.uniform)}`,
    `outages under waves (no harm): per hour / cumulative   ${pct(r.outagesUnderWaves.perHour)} / ${pct(r.outagesUnderWaves.cumulative)}`,
    `installs 20 % vs 1 %: tripped within 30 installs      ${pct(r.installHarm.tripped)}`,
    `installs at the baseline, 500 each: posterior gate    ${pct(r.installNoHarm.posterior)} false trips, small-sample limit ${pct(r.installNoHarm.absolute)}, either ${pct(r.installNoHarm.either)}`,
    `2 failed and 5 %, history shows none, 500 hosts:      ${r.absoluteLimitCost.map((c) => `true rate ${pct(c.rate)} -> ${pct(c.absolute)}`).join(', ')}`,
    `boots: 1 not back and 5 %, history shows none, 500:   ${r.bootLimitCost.map((c) => `true rate ${pct(c.rate)} -> ${pct(c.absolute)}`).join(', ')}`,
    `evaluateCohort, 5 signals + 2 outcomes: ${speed.microsPerCohortTotals.toFixed(0)} µs on totals, ${speed.microsPerCohort504Increments.toFixed(0)} µs with 504 hourly increments per signal`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
