/**
 * `pnpm bench:assess --hosts 10000 [--json] [--data-dir DIR] [--seed N] [--windows-share 0.4] [--warmup N]`
 *
 * Assesses realistic synthetic hosts (about 1,500 packages each, or a
 * Windows hotfix list) against the imported catalog, through the same
 * `assessHost` the controller and `patchfleet assess` use, and prints hosts
 * per second of wall time (`hostsPerSecond`) and of the process's CPU time
 * (`hostsPerCpuSecond`, steadier on a shared machine), both also per kind
 * (`perKind.ubuntu`, `perKind.windows`), and peak memory. Without --data-dir
 * it imports the advisory fixtures into a temporary embedded database first
 * (not timed).
 *
 * `--warmup N` first assesses N other hosts of the same run (numbers
 * `hosts` to `hosts + N - 1`), untimed, so the figures are those of a process
 * whose code is already optimised (a controller re-assessing its fleet)
 * rather than of one that starts cold; the default, 0, measures from cold.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '@patchfleet/shared';
import { assessHost, prepareCatalog, type HostInput } from '@patchfleet/controller/src/assess/assess-host';
import { importCatalog } from '@patchfleet/controller/src/catalog/import';
import { loadCatalog } from '@patchfleet/controller/src/catalog/store';
import { openDatabase } from '@patchfleet/controller/src/db/index';
import { DEFAULT_SLA } from '@patchfleet/controller/src/scoring/sla';
import { generateHosts, loadHostSources, type SyntheticHost } from './hosts';

function toInput(h: SyntheticHost): HostInput {
  if (h.kind === 'ubuntu') return { kind: 'ubuntu', release: h.release, packages: h.packages };
  return { kind: 'windows', host: { build: h.build, ubr: h.ubr, installationType: h.installationType, arch: h.arch, hotfixes: h.hotfixes.map((f) => f.kb), hotpatchEnrolled: h.hotpatchEnrolled } };
}

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '10000' },
    json: { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    seed: { type: 'string', default: '1' },
    'windows-share': { type: 'string', default: '0.4' },
    warmup: { type: 'string', default: '0' },
  },
});
const count = Number(values.hosts);
if (!Number.isInteger(count) || count < 1) {
  process.stderr.write(`error PF_ERR_USAGE: --hosts must be a positive whole number, got "${values.hosts}"\n`);
  process.exit(2);
}
const warmup = Number(values.warmup);
if (!Number.isInteger(warmup) || warmup < 0) {
  process.stderr.write(`error PF_ERR_USAGE: --warmup must be a whole number, got "${values.warmup}"\n`);
  process.exit(2);
}
const say = (line: string) => process.stderr.write(`[bench:assess] ${line}\n`);

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

const tempDir = values['data-dir'] ? undefined : mkdtempSync(join(tmpdir(), 'pf-bench-'));
const database = await openDatabase({ dataDir: values['data-dir'] ?? (tempDir as string) });
try {
  if (tempDir) {
    const fixtures = fileURLToPath(new URL('../fixtures/advisories/', import.meta.url));
    say('importing the advisory fixtures into a temporary database');
    await importCatalog(
      database.db,
      {
        usnOsv: join(fixtures, 'usn'),
        msrcCvrf: readdirSync(join(fixtures, 'msrc')).filter((f) => f.endsWith('.xml')).map((f) => join(fixtures, 'msrc', f)),
        kev: join(fixtures, 'kev/known_exploited_vulnerabilities.json'),
        epss: join(fixtures, 'epss/epss_subset.csv'),
      },
      { clock: systemClock, actor: 'bench' },
    );
  }
  // Peak memory of the import (PGlite, XML parsing) is reported apart from the assessment's.
  const importPeakRss = Math.max(peakRss, process.memoryUsage().rss);
  global.gc?.();
  peakRss = process.memoryUsage().rss;
  let t = performance.now();
  const catalog = await loadCatalog(database.db);
  const loadMs = performance.now() - t;
  t = performance.now();
  const prepared = prepareCatalog(catalog);
  const prepareMs = performance.now() - t;
  const sources = loadHostSources();
  const options = { seed: Number(values.seed), windowsShare: Number(values['windows-share']) };
  const now = Date.parse('2026-01-15T00:00:00Z');
  const risk = { criticality: 'medium' as const, internetFacing: false };

  // One host at a time, as the controller assesses them: made, assessed, dropped, so the
  // generator's garbage never holds more than one host alive while assessment runs.
  // Around each assessment: wall time (performance.now) and the process's CPU time
  // (user + system, every thread: GC helpers included), which other load on the machine
  // inflates far less than wall time. Reading the CPU clock costs about 1 us a host,
  // counted against assessment.
  const perKind = {
    ubuntu: { hosts: 0, packages: 0, missing: 0, assessMs: 0, cpuMs: 0 },
    windows: { hosts: 0, packages: 0, missing: 0, assessMs: 0, cpuMs: 0 },
  };
  if (warmup > 0) {
    say(`warming up on ${warmup} other hosts (not timed)`);
    for (const host of generateHosts(warmup, options, count, sources)) assessHost(toInput(host), prepared, { now, risk, sla: DEFAULT_SLA });
  }
  let generateMs = 0;
  const started = performance.now();
  let g = performance.now();
  for (const host of generateHosts(count, options, 0, sources)) {
    const input = toInput(host);
    generateMs += performance.now() - g;
    const k = perKind[host.kind];
    const cpu = process.cpuUsage();
    const a = performance.now();
    const result = assessHost(input, prepared, { now, risk, sla: DEFAULT_SLA });
    k.assessMs += performance.now() - a;
    const used = process.cpuUsage(cpu);
    k.cpuMs += (used.user + used.system) / 1000;
    k.hosts += 1;
    k.missing += result.missing.length;
    if (host.kind === 'ubuntu') k.packages += host.packages.length;
    const done = perKind.ubuntu.hosts + perKind.windows.hosts;
    if (done % 1000 === 0) say(`${done}/${count} hosts`);
    g = performance.now();
  }
  const ubuntu = perKind.ubuntu.hosts;
  const windows = perKind.windows.hosts;
  const missing = perKind.ubuntu.missing + perKind.windows.missing;
  const assessMs = perKind.ubuntu.assessMs + perKind.windows.assessMs;
  const cpuMs = perKind.ubuntu.cpuMs + perKind.windows.cpuMs;
  const rate = (hosts: number, ms: number) => (ms > 0 ? Math.round(hosts / (ms / 1000)) : null);
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const report = {
    hosts: count,
    warmupHosts: warmup,
    ubuntuHosts: ubuntu,
    windowsHosts: windows,
    avgPackagesPerUbuntuHost: ubuntu ? Math.round(perKind.ubuntu.packages / ubuntu) : 0,
    missingFindings: missing,
    catalog: { usns: catalog.usns.length, kbs: catalog.kbs.length, cves: catalog.cves.size, loadMs: Math.round(loadMs), prepareMs: Math.round(prepareMs) },
    hostsPerSecond: rate(count, assessMs),
    hostsPerCpuSecond: rate(count, cpuMs),
    hostsPerSecondWithGeneration: Math.round(count / (wallMs / 1000)),
    assessSeconds: +(assessMs / 1000).toFixed(2),
    assessCpuSeconds: +(cpuMs / 1000).toFixed(2),
    perKind: Object.fromEntries(
      Object.entries(perKind).map(([kind, k]) => [
        kind,
        { hosts: k.hosts, missingFindings: k.missing, hostsPerSecond: rate(k.hosts, k.assessMs), hostsPerCpuSecond: rate(k.hosts, k.cpuMs), assessSeconds: +(k.assessMs / 1000).toFixed(2), assessCpuSeconds: +(k.cpuMs / 1000).toFixed(2) },
      ]),
    ),
    generateSeconds: +(generateMs / 1000).toFixed(2),
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    importPeakRssMiB: tempDir ? Math.round(importPeakRss / 2 ** 20) : null,
    node: process.version,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${Object.entries(report).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join('\n')}\n`);
} finally {
  clearInterval(sampler);
  await database.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}
