/**
 * `pnpm bench:agent [--seconds 120] [--runs 10] [--no-xz] [--no-sizes] [--exe FILE] [--json]`
 *
 * The agent's single executables against their goals: download size (raw,
 * gzip -9, xz -6), start-up time (median wall time of `--version` and of
 * `collect --json`), and the running agent's idle footprint (VmRSS from
 * /proc/<pid>/status sampled every second, CPU % from /proc/<pid>/stat) over
 * `--seconds` while connected to a real controller (PGlite). The executable
 * runs with no other node on PATH. `--exe FILE` measures that Linux
 * executable (an earlier build, for a before/after) instead of building.
 *
 * The goals are in MB (10^6 bytes) as the issue states them; figures are
 * printed in MiB. The executable runs from a copy in a temporary directory:
 * the same bytes as written by postject at build time map about 15 MiB more
 * file-backed pages (RssFile) than a copy, or the file read back from disk,
 * does (measured on this machine's kernel 6.18, ext4), and an installed
 * agent runs a copy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { buildAgentExecutables, SEA_EXEC_ARGV } from '@patchfleet/agent/scripts/executables';
import { NODE_VERSION } from '@patchfleet/agent/scripts/sea/runtimes';
import { api, type Bootstrap } from '../support/api';
import { exeEnv, noNodePath, runExe, startExeAgent } from '../support/agent-exe';
import { startControllerProcess, waitFor } from '../support/processes';

const MB = 1e6;
const GOALS = { idleRssMB: 45, idleCpuPct: 0.2, downloadMB: 40 };

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '120' }, runs: { type: 'string', default: '10' }, 'no-xz': { type: 'boolean', default: false }, 'no-sizes': { type: 'boolean', default: false }, exe: { type: 'string' }, json: { type: 'boolean', default: false } } });
const seconds = Number(values.seconds);
const runs = Number(values.runs);
if (!(seconds >= 5) || !(runs >= 1)) {
  process.stderr.write(`error PF_ERR_USAGE: --seconds must be >= 5 and --runs >= 1, got ${values.seconds} and ${values.runs}\n`);
  process.exit(2);
}

const MiB = 2 ** 20;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function xzBytes(file: string): number | undefined {
  if (values['no-xz']) return undefined;
  const r = spawnSync('xz', ['-6', '-T1', '-c', file], { maxBuffer: 512 * MiB });
  return r.status === 0 ? r.stdout.length : undefined;
}

function procStatus(pid: number): { rssKiB: number; anonKiB: number; fileKiB: number; threads: number; cpuTicks: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  // Fields after the command name (which may hold spaces): utime and stime are the 14th and 15th of the line.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssKiB: kib('VmRSS'), anonKiB: kib('RssAnon'), fileKiB: kib('RssFile'), threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? NaN), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

const dir = mkdtempSync(join(tmpdir(), 'pf-bench-agent-'));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
try {
  const loadAtStart = load();
  const built = values.exe ? undefined : await buildAgentExecutables();
  const source = values.exe ?? (built as { linux: string }).linux;
  if (!statSync(source, { throwIfNoEntry: false })?.isFile()) {
    process.stderr.write(`error PF_ERR_USAGE: --exe ${source} is not a file\n`);
    process.exit(2);
  }
  const exes = { linux: join(dir, 'patchfleet-agent-linux-x64'), windows: built?.windows };
  copyFileSync(source, exes.linux);
  const path = noNodePath(join(dir, 'bin'));
  const env = exeEnv(path, { PATCHFLEET_LOG_LEVEL: 'warn' });
  log(`agent executable ${source} (run from a copy): Node ${NODE_VERSION}, ${values.exe ? 'SEA execArgv as built into it' : `SEA execArgv ${JSON.stringify(SEA_EXEC_ARGV)}`}; load average at start ${loadAtStart}`);

  // Compressing 210 MiB takes minutes on a loaded 2-core machine; --no-sizes skips it when only the runtime figures changed.
  const sizes = (values['no-sizes'] ? [] : [source, ...(exes.windows ? [exes.windows] : [])]).map((file) => {
    const raw = statSync(file).size;
    const gzip = gzipSync(readFileSync(file), { level: 9 }).length;
    const xz = xzBytes(file);
    const best = Math.min(gzip, xz ?? Infinity);
    log(`size ${file.replace(/.*\//, '')}: ${mib(raw)} raw, ${mib(gzip)} gzip -9, ${xz === undefined ? '-' : mib(xz)} xz -6 (goal <= ${GOALS.downloadMB} MB = ${mib(GOALS.downloadMB * MB)} compressed: ${best <= GOALS.downloadMB * MB ? 'met' : 'MISSED'})`);
    return { file, raw, gzip, xz, best };
  });

  const timeRuns = async (args: string[], n: number): Promise<number> => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      const r = await runExe(exes.linux, args, env);
      if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      ms.push(performance.now() - started);
    }
    return median(ms);
  };
  const versionMs = await timeRuns(['--version'], runs);
  const collectMs = await timeRuns(['collect', '--json'], Math.max(1, Math.ceil(runs / 2)));
  log(`start-up (linux-x64): --version median ${versionMs.toFixed(0)} ms of ${runs}; collect --json median ${collectMs.toFixed(0)} ms of ${Math.max(1, Math.ceil(runs / 2))}`);

  const controller = await startControllerProcess({ dataDir: join(dir, 'controller'), env: { PATCHFLEET_LOG_LEVEL: 'warn' } });
  try {
    const boot = JSON.parse(readFileSync(join(dir, 'controller', 'bootstrap.json'), 'utf8')) as Bootstrap;
    const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {})).body.token;
    const stateDir = join(dir, 'agent');
    const enrolled = await runExe(exes.linux, ['enroll', '--server', boot.url.replace(/^https:/, 'wss:'), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir], env);
    if (enrolled.code !== 0) throw new Error(`enroll failed: ${enrolled.stderr}`);
    const agentId = (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;
    const agent = startExeAgent(exes.linux, stateDir, env);
    try {
      await waitFor(async () => {
        const h = await api<{ online: boolean; lastSeq: number }>(boot, 'GET', `/api/v1/hosts/${agentId}`);
        return h.body.online && h.body.lastSeq >= 1;
      }, 'the agent to connect and report', 60_000);
      const pid = agent.child.pid as number;
      const afterReport = procStatus(pid).rssKiB;
      // Idle from here: the first full report is sent and acknowledged.
      await new Promise((r) => setTimeout(r, 5_000));
      const tick = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
      const first = procStatus(pid);
      const started = performance.now();
      const rss: number[] = [];
      const anon: number[] = [];
      const file: number[] = [];
      while (performance.now() - started < seconds * 1000) {
        await new Promise((r) => setTimeout(r, 1_000));
        const s = procStatus(pid);
        rss.push(s.rssKiB);
        anon.push(s.anonKiB);
        file.push(s.fileKiB);
      }
      const last = procStatus(pid);
      // File-backed pages are the runtime's code and data read from the executable (shared, reclaimable); anonymous ones are the heap.
      const split = `medians RssAnon ${(median(anon) / 1024).toFixed(1)} MiB + RssFile ${(median(file) / 1024).toFixed(1)} MiB, ${last.threads} threads`;
      const wallSec = (performance.now() - started) / 1000;
      const cpuPct = ((last.cpuTicks - first.cpuTicks) / tick / wallSec) * 100;
      const online = (await api<{ online: boolean }>(boot, 'GET', `/api/v1/hosts/${agentId}`)).body.online;
      const rssMedian = median(rss) / 1024;
      const rssMax = Math.max(...rss) / 1024;
      log(`idle agent over ${wallSec.toFixed(0)} s (online: ${online}): VmRSS median ${rssMedian.toFixed(1)} MiB, max ${rssMax.toFixed(1)} MiB, ${split} (after first report ${(afterReport / 1024).toFixed(1)} MiB; goal <= ${GOALS.idleRssMB} MB = ${mib(GOALS.idleRssMB * MB)}: ${rssMax * MiB <= GOALS.idleRssMB * MB ? 'met' : 'MISSED'}); CPU ${cpuPct.toFixed(3)} % of one core (goal <= ${GOALS.idleCpuPct} %: ${cpuPct <= GOALS.idleCpuPct ? 'met' : 'MISSED'})`);
      log(`load average at end ${load()} (2 cores)`);
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ nodeVersion: NODE_VERSION, exe: source, execArgv: values.exe ? undefined : SEA_EXEC_ARGV, sizes, versionMs, collectMs, idle: { seconds: wallSec, online, rssMedianMiB: rssMedian, rssMaxMiB: rssMax, rssAnonMedianMiB: median(anon) / 1024, rssFileMedianMiB: median(file) / 1024, threads: last.threads, cpuPct }, goals: GOALS, load: { start: loadAtStart, end: load() } }, null, 2)}\n`);
      }
    } finally {
      await agent.stop();
    }
  } finally {
    await controller.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
