/**
 * The core of `pnpm bench:ingest`: synthetic agents' full inventory reports,
 * split into frames by the real agent's `chunkReport` and encoded as the
 * agent sends them, then taken through what the controller's session does
 * with an inventory frame (`decodeFrame`, `findUnstorable`, the
 * `ReportAssembler`) and stored by `applyReport`, the function the gateway
 * calls for a completed report. In process: no WebSocket or TLS.
 *
 * Agent-side work (generating hosts, chunking, encoding) is done a block of
 * agents at a time before the block is stored, so the CPU time measured
 * while storing is the controller's alone (and the embedded database's, on
 * PGlite, which runs in this process).
 */
import { randomUUID } from 'node:crypto';
import { decodeFrame, encodeFrame, findUnstorable, Limits, makeFrame, type HostFacts, type Message, type Package } from '@patchfleet/shared';
import { chunkReport } from '@patchfleet/agent/src/report/chunk';
import type { OutboxReport } from '@patchfleet/agent/src/link/outbox';
import { ReportAssembler } from '@patchfleet/controller/src/gateway/report-assembler';
import { applyReport } from '@patchfleet/controller/src/inventory/inventory-store';
import { hosts } from '@patchfleet/controller/src/db/schema/index';
import type { Db } from '@patchfleet/controller/src/db/index';
import { loadHostSources, syntheticHost, type HostSources } from '../hosts';

export interface IngestOptions {
  /** Agents (hosts), each sending one full report per round. */
  agents: number;
  /** Packages per host, on average (each host varies by +-10%). */
  packages: number;
  /** Reports stored at once (the gateway stores reports of different sessions concurrently). */
  concurrency: number;
  /** Agents prepared (generated, chunked, encoded) per block, before the block is stored. */
  block?: number;
  seed?: number;
  /** CPU milliseconds the database server has used so far (PostgreSQL backends), read around each stored block. */
  serverCpuMs?: () => Promise<number>;
  /** Called after each stored block with the agents done so far. */
  progress?: (done: number, total: number, round: string) => void;
}

/** What one agent sends: its id and its report as encoded frames. */
export interface PreparedReport {
  hostId: string;
  frames: string[];
  packages: number;
}

export interface RoundResult {
  round: string;
  reports: number;
  /** Package rows the reports carried. */
  packageRows: number;
  /** Package rows written (inserted or updated) and deleted, from applyReport's counts (null end to end: the ack does not say). */
  added: number | null;
  changed: number | null;
  removed: number | null;
  frames: number;
  /** Wall time and process CPU time spent storing (agent-side preparation excluded). */
  storeMs: number;
  storeCpuMs: number;
  /** CPU of the database server while storing, when `serverCpuMs` was given. */
  serverCpuMs: number | null;
  /** Agent-side CPU (generating, chunking, encoding), not part of the figures. */
  prepareCpuMs: number;
}

const MAX_REPORT_BYTES = 8 * 2 ** 20;

/** Host facts of agent `index` (part 0 of its report carries them). */
export function hostFacts(index: number): HostFacts {
  const name = `bench-${String(index).padStart(6, '0')}`;
  return {
    hostname: name,
    fqdn: `${name}.example.test`,
    os: { platform: 'linux', id: 'ubuntu', name: 'Ubuntu 24.04.1 LTS', version: '24.04', codename: 'noble', kernel: '6.8.0-45-generic', arch: 'x64' },
    hardware: { vendor: 'QEMU', model: 'Standard PC (Q35 + ICH9, 2009)', serial: `SN-${index}`, virtual: true },
    cpu: { brand: 'AMD EPYC 7763', cores: 2, physicalCores: 1, speedGHz: 2.45 },
    memory: { totalBytes: 4 * 2 ** 30 },
    disks: [{ name: '/dev/vda', type: 'HD', sizeBytes: 40 * 2 ** 30, mount: '/', usedBytes: 10 * 2 ** 30 }],
    network: [
      { iface: 'lo', mac: '00:00:00:00:00:00', ipv4: ['127.0.0.1'], ipv6: ['::1'], internal: true },
      { iface: 'eth0', mac: '52:54:00:12:34:56', ipv4: [`10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`], ipv6: [], internal: false },
    ],
    bootId: randomUUID(),
    bootTime: 1_700_000_000_000,
    uptimeSec: 3600,
    users: [{ user: 'ops', tty: 'pts/0', host: '10.0.0.9', loginAt: '2026-11-23T10:00:00Z' }],
    pendingReboot: { required: false, reasons: [] },
    packageManagers: ['dpkg'],
  };
}

/** Host `index`'s dpkg packages (a realistic Ubuntu host of test/bench/hosts.ts). */
export function hostPackages(index: number, packages: number, seed: number, sources: HostSources): Package[] {
  const host = syntheticHost(index, { seed, windowsShare: 0, packagesPerHost: packages }, sources);
  if (host.kind !== 'ubuntu') throw new Error('expected an Ubuntu host');
  return host.packages.map((p) => ({ manager: 'dpkg', name: p.name, arch: p.arch, version: p.version, sourceName: p.sourceName, sourceVersion: p.sourceVersion }));
}

/**
 * The second round's change to a host: every 20th package upgraded, every
 * 100th removed, and 1 % new ones, deterministic.
 */
export function changedPackages(before: Package[]): Package[] {
  const out: Package[] = [];
  before.forEach((p, i) => {
    if (i % 100 === 7) return;
    out.push(i % 20 === 3 ? { ...p, version: `${p.version}.1` } : p);
  });
  for (let i = 0; i < Math.ceil(before.length / 100); i++) {
    out.push({ manager: 'dpkg', name: `bench-new-${i}`, arch: 'amd64', version: `1.${i}-1`, sourceName: `bench-new-${i}`, sourceVersion: `1.${i}-1` });
  }
  return out;
}

/** What the real agent sends for a full report: chunkReport's parts, each made a frame and encoded. */
export function agentFrames(report: OutboxReport, epoch: string): string[] {
  const now = Date.now();
  return chunkReport(report, Limits.maxFrameBytes, epoch).map((body) => encodeFrame(makeFrame('inventory', body, now) as Message));
}

/** Enrolled host rows for `count` agents (not timed): what enrollment leaves before the first report. */
export async function createHosts(db: Db, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  const enrolledAt = new Date();
  for (let i = 0; i < ids.length; i += 1000) {
    await db.insert(hosts).values(ids.slice(i, i + 1000).map((id) => ({ id, hostname: 'enrolling', enrolledAt })));
  }
  return ids;
}

/**
 * The controller's part for one agent's frames, in order, as the session
 * handles them: decode (schema checked), findUnstorable, assemble, and on
 * the last part store the report.
 */
export async function storeFrames(db: Db, hostId: string, frames: string[]): Promise<Awaited<ReturnType<typeof applyReport>>> {
  const assembler = new ReportAssembler({ maxReportBytes: MAX_REPORT_BYTES, timeoutMs: 120_000 }, () => Date.now());
  for (const data of frames) {
    const msg = decodeFrame(data, Limits.maxFrameBytes);
    if (msg.type !== 'inventory') throw new Error(`expected an inventory frame, got ${msg.type}`);
    const bad = findUnstorable(msg);
    if (bad) throw new Error(`unstorable: ${bad.path} ${bad.reason}`);
    const report = assembler.add(msg, Buffer.byteLength(data));
    if (report) return applyReport(db, hostId, report, new Date());
  }
  throw new Error(`report of host ${hostId} incomplete after ${frames.length} frames`);
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * Two rounds: `first` (every agent's first full report: all rows new) and
 * `again` (a full report per agent with a few packages upgraded, removed and
 * added: the rest unchanged, as a daily collection). Returns both rounds
 * and the hosts' ids (agent i has hostIds[i]).
 */
export async function runIngest(db: Db, opts: IngestOptions): Promise<{ hostIds: string[]; rounds: RoundResult[] }> {
  const sources = loadHostSources();
  const seed = opts.seed ?? 1;
  const block = opts.block ?? 100;
  const ids = await createHosts(db, opts.agents);
  const epochs = ids.map(() => randomUUID());
  const results: RoundResult[] = [];
  for (const [round, seq] of [['first', 1], ['again', 2]] as const) {
    const r: RoundResult = { round, reports: 0, packageRows: 0, added: 0, changed: 0, removed: 0, frames: 0, storeMs: 0, storeCpuMs: 0, serverCpuMs: opts.serverCpuMs ? 0 : null, prepareCpuMs: 0 };
    for (let start = 0; start < opts.agents; start += block) {
      const prepCpu = process.cpuUsage();
      const prepared: PreparedReport[] = [];
      for (let i = start; i < Math.min(opts.agents, start + block); i++) {
        const base = hostPackages(i, opts.packages, seed, sources);
        const packages = seq === 1 ? base : changedPackages(base);
        const report: OutboxReport = { seq, kind: 'full', collectedAt: Date.now(), host: hostFacts(i), packages, removed: [] };
        prepared.push({ hostId: ids[i] as string, frames: agentFrames(report, epochs[i] as string), packages: packages.length });
      }
      const p = process.cpuUsage(prepCpu);
      r.prepareCpuMs += (p.user + p.system) / 1000;
      const server0 = await opts.serverCpuMs?.();
      const cpu = process.cpuUsage();
      const t = performance.now();
      await pool(prepared, opts.concurrency, async (rep) => {
        const res = await storeFrames(db, rep.hostId, rep.frames);
        if (!res.applied) throw new Error(`report of host ${rep.hostId} was not applied`);
        r.reports += 1;
        r.packageRows += rep.packages;
        r.frames += rep.frames.length;
        r.added = (r.added ?? 0) + res.added;
        r.changed = (r.changed ?? 0) + res.changed;
        r.removed = (r.removed ?? 0) + res.removed;
      });
      r.storeMs += performance.now() - t;
      const c = process.cpuUsage(cpu);
      r.storeCpuMs += (c.user + c.system) / 1000;
      if (opts.serverCpuMs && r.serverCpuMs !== null) r.serverCpuMs += (await opts.serverCpuMs()) - (server0 as number);
      opts.progress?.(Math.min(opts.agents, start + block), opts.agents, round);
    }
    results.push(r);
  }
  return { hostIds: ids, rounds: results };
}
