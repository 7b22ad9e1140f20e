/**
 * The pure pieces put together without a controller: two stand-in policies
 * (install everything at release; block exactly the bad pairs) played on the
 * example fleet, measured with the real metrics. It shows how the modules
 * fit (what counts as exposed, harmed, patched) and bounds the metrics from
 * both ends: neither policy is a controller.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createFleetModel, type Exposure } from './fleet-model';
import { buildReport, daysTo95, type PairOutcome, type PatchedPoint } from './metrics';
import { loadScenario, type Scenario } from './scenario';
import { groundTruth } from './truth';

/** Installs every unblocked pair on every host of the class within 2 days of release (waiting while a host is off); never rolls back. */
function play(scenario: Scenario, blocked: (patch: string, cls: string) => boolean): PairOutcome[] {
  const model = createFleetModel(scenario);
  const end = scenario.days * 24;
  const outcomes: PairOutcome[] = [];
  const exposures = new Map<number, Exposure[]>();
  const downSince = new Map<number, number>();
  const pending: { host: number; patch: string; cls: string; at: number }[] = [];
  const tally = new Map<string, { exposed: Set<number>; harmed: Set<number>; installedAt: number[] }>();
  const key = (patch: string, cls: string): string => `${patch}|${cls}`;

  for (const p of scenario.patches) {
    for (const cls of p.appliesTo) {
      tally.set(key(p.id, cls), { exposed: new Set(), harmed: new Set(), installedAt: [] });
      if (blocked(p.id, cls)) continue;
      for (const h of model.hosts) if (h.className === cls) pending.push({ host: h.index, patch: p.id, cls, at: p.releasedDay * 24 + (h.index % 48) });
    }
  }
  pending.sort((a, b) => a.at - b.at || a.host - b.host);
  for (const job of pending) {
    let at = job.at;
    while (at < end && !model.isOnline(job.host, at)) at += 0.25;
    const down = downSince.get(job.host);
    if (at >= end || (down !== undefined && down <= at)) continue;
    const t = tally.get(key(job.patch, job.cls))!;
    t.exposed.add(job.host);
    const result = model.installOutcome(job.host, job.patch, 0);
    if (!result.ok) {
      if (result.cause === 'effect') t.harmed.add(job.host);
      continue;
    }
    if (model.bootFails(job.host, job.patch, 0)) {
      downSince.set(job.host, at);
      t.harmed.add(job.host);
      continue;
    }
    exposures.set(job.host, [...(exposures.get(job.host) ?? []), { patchId: job.patch, installedAt: at }]);
    t.installedAt.push(at);
  }
  for (const h of model.hosts) {
    const events = model.events(h.index, { exposures: exposures.get(h.index) ?? [], downSince: downSince.get(h.index) ?? null }, 0, end);
    for (const e of events) if (e.cause.type === 'effect') tally.get(key(e.cause.patchId, h.className))!.harmed.add(h.index);
  }
  for (const p of scenario.patches) {
    for (const cls of p.appliesTo) {
      const t = tally.get(key(p.id, cls))!;
      const hosts = model.hosts.filter((h) => h.className === cls).length;
      // A host that did not boot holds the patch but is not a patched host any more.
      const patchedAtEnd = model.hosts.filter((h) => h.className === cls && !downSince.has(h.index) && (exposures.get(h.index) ?? []).some((x) => x.patchId === p.id)).length;
      outcomes.push({
        patch: p.id, class: cls, blocked: blocked(p.id, cls), blockedAtDay: blocked(p.id, cls) ? p.releasedDay : null,
        exposed: t.exposed.size, harmed: t.harmed.size, rolledBack: 0, hosts, patchedAtEnd,
        daysTo95: daysTo95(series(t.installedAt), hosts, p.releasedDay),
      });
    }
  }
  return outcomes;
}

/** Patched counts in time order from install times (a host waiting for its turn can be installed after a later one). */
function series(installedAt: readonly number[]): PatchedPoint[] {
  return [...installedAt].sort((a, b) => a - b).map((at, i) => ({ day: at / 24, patched: i + 1 }));
}

const examples = fileURLToPath(new URL('./scenarios/', import.meta.url));

const files = (await readdir(examples)).filter((f) => f.endsWith('.json')).sort();

describe('stand-in policies on the examples', () => {
  it.each(files)('%s: installing everything harms hosts and blocks nothing', async (file) => {
    const s = await loadScenario(`${examples}${file}`);
    const truth = groundTruth(s);
    const r = buildReport(s.name, truth, play(s, () => false), 0);
    expect(r.summary.precision).toBe(1);
    expect(r.summary.recall).toBe(0);
    expect(r.summary.badExposureMedian).toBeGreaterThan(0.9);
    expect(r.summary.badHarmedTotal).toBeGreaterThan(0);
    // Good pairs: only unrelated install failures and the hosts off all run keep coverage under 1.
    expect(r.summary.goodCoverage).toBeGreaterThan(0.97);
    expect(r.summary.goodDaysTo95Median).toBeLessThan(2.1);
    for (const p of r.pairs.filter((x) => !x.bad)) expect(p.harmed).toBe(0);
  });

  it.each(files)('%s: blocking exactly the bad pairs scores perfectly', async (file) => {
    const s = await loadScenario(`${examples}${file}`);
    const truth = groundTruth(s);
    const bad = new Set(truth.filter((t) => t.bad).map((t) => `${t.patch}|${t.class}`));
    const r = buildReport(s.name, truth, play(s, (p, c) => bad.has(`${p}|${c}`)), 0);
    expect(r.summary).toMatchObject({ precision: 1, recall: 1, badExposureMedian: 0, badHarmedTotal: 0 });
  });

  it('mixed-fleet: the ThinkPads show the crash effect, the install-failure patch fails about 20 % of installs', async () => {
    const s = await loadScenario(`${examples}mixed-fleet.json`);
    const r = buildReport(s.name, groundTruth(s), play(s, () => false), 0);
    const lenovo = r.pairs.find((p) => p.patch === 'KB5066835' && p.class === 'win11-lenovo')!;
    // 500 hosts at 0.02 x 5 extra crashes a day for ~20 days: most show harm.
    expect(lenovo.harmed / lenovo.exposed).toBeGreaterThan(0.75);
    const failing = r.pairs.filter((p) => p.patch === 'KB5065426');
    const harmed = failing.reduce((a, p) => a + p.harmed, 0);
    const exposed = failing.reduce((a, p) => a + p.exposed, 0);
    expect(harmed / exposed).toBeGreaterThan(0.17);
    expect(harmed / exposed).toBeLessThan(0.23);
  });
});
