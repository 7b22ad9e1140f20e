/**
 * `pnpm start --demo` (deploy/local/start.ts runs this file): a living demo.
 *
 * A few hundred SIMULATED Ubuntu and Windows hosts (test/sim/scenarios/demo.json,
 * played by the fleet simulator of `pnpm bench:rollout`, test/sim/runner/run.ts)
 * speak the real protocol over WSS to a real controller in simulation mode,
 * whose clock is the simulator's virtual clock. The controller holds the
 * bundled advisory data (test/fixtures/advisories, as `pnpm start` imports
 * it), the demo's patches are real ids from it, and the simulator plays what
 * each patch really does: one makes a class of laptops crash a few hours
 * after install, one is harmless, one fails to install often. The
 * controller sees only what the hosts report.
 *
 * - Its own data directory `$PATCHFLEET_HOME/demo` (default .patchfleet/demo)
 *   and port PATCHFLEET_DEMO_PORT (default 8444): it never touches the
 *   controller of the normal `pnpm start`. Every start is fresh (the data of
 *   the previous demo is removed first): the simulated hosts' state lives only
 *   in the running demo, so there is nothing honest to resume. A second demo
 *   while one runs is refused (`$PATCHFLEET_HOME/demo.lock`).
 * - Pacing: one virtual hour every `--demo-hour-ms` real ms at most (the
 *   machine may be slower), `--demo-days` days.
 * - Narrative on stderr: where the controller is and how to look with the
 *   CLI; per simulated day hosts online, missing patches by priority,
 *   rollouts ring by ring, blocks, rollbacks (all read from the API); every
 *   new block or halt as soon as the hour it happened in ends.
 * - After the last day the clock stops and the controller keeps serving the
 *   CLI until Ctrl-C; Ctrl-C at any time stops the hosts and the controller.
 *
 * Exit 0 when stopped with Ctrl-C (the normal end), 1 when the run failed,
 * 2 on a usage error or when another demo runs.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Errors } from '@patchfleet/shared/errors';
import { ADVISORIES, FIXTURE_PATHS, fixtureFeeds } from '../support/advisories';
import { DEMO_USAGE, DemoUsageError, demoScenarioOf, parseDemoArgs, type DemoArgs } from './demo-args';
import { dayLines, dayOf, newEvents, newTold, pace, when, type BlockView, type DemoSnapshot, type MissingPatch, type RolloutView, type Tier } from './demo-narrative';
import { loadScenario } from './scenario';
import type { SimController } from './runner/controller';
import { DEFAULT_RUN_OPTIONS, runRollout, type BundledCatalog, type StepInfo } from './runner/run';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_SCENARIO = fileURLToPath(new URL('./scenarios/demo.json', import.meta.url));

const say = (line: string) => process.stderr.write(`[demo] ${line}\n`);

/** Whether process `pid` still runs (EPERM: it runs, as someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the demo lock, or says who holds it. A lock whose process is gone is taken over. */
function takeLock(file: string): string | undefined {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })}\n`, { flag: 'wx' });
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = -1;
      try {
        pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid;
      } catch {
        // half-written: treated as gone
      }
      if (pid > 0 && alive(pid)) return `another demo is running (pid ${pid}, lock ${file}): stop it with Ctrl-C in its terminal first`;
      unlinkSync(file);
    }
  }
  return `could not take the demo lock ${file}`;
}

/** A process still holding the embedded database of the demo's directory (pgdata.lock), if any. */
function databaseHolder(dataDir: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(join(dataDir, 'pgdata.lock'), 'utf8')) as { pid: number }).pid;
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The bundled advisory files, as `pnpm start` imports them (start.ts offerSampleCatalog), and the same files parsed. */
async function bundledCatalog(): Promise<BundledCatalog> {
  const usn = readdirSync(FIXTURE_PATHS.usnDir).filter((n) => /^USN-.*\.json$/.test(n)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const msrc = readdirSync(join(ADVISORIES, 'msrc')).filter((n) => n.endsWith('.xml')).sort();
  const files = [
    ...usn.map((n) => ({ field: 'usnOsv', path: join(FIXTURE_PATHS.usnDir, n) })),
    ...msrc.map((n) => ({ field: 'msrcCvrf', path: join(ADVISORIES, 'msrc', n) })),
    { field: 'kev', path: FIXTURE_PATHS.kev },
    { field: 'epss', path: FIXTURE_PATHS.epss },
  ];
  return { feeds: await fixtureFeeds(), files };
}

interface Page<T> {
  items: T[];
  total: number;
}

/** Every item of a paged list (limit 500). */
async function all<T>(c: SimController, path: string): Promise<T[]> {
  const out: T[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await c.admin.call<Page<T>>('GET', `${path}${path.includes('?') ? '&' : '?'}limit=500&offset=${offset}`);
    out.push(...page.items);
    if (page.items.length < 500 || out.length >= page.total) return out;
  }
}

/** Blocks and rollouts (with their rings when `rings`): what the hourly check and the daily summary read. */
async function readDecisions(c: SimController, rings: boolean): Promise<{ blocks: BlockView[]; rollouts: RolloutView[] }> {
  const blocks = (await c.admin.call<{ items: BlockView[] }>('GET', '/api/v1/blocks?limit=500')).items;
  const listed = (await c.admin.call<{ items: (Omit<RolloutView, 'rings'> & { createdAt: string })[] }>('GET', '/api/v1/rollouts')).items;
  listed.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const rollouts = rings ? await Promise.all(listed.map((r) => c.admin.call<RolloutView>('GET', `/api/v1/rollouts/${r.id}`))) : listed.map((r) => ({ ...r, rings: [] }));
  return { blocks, rollouts };
}

/** One host missing a patch, for the example command. */
interface PatchHost {
  hostId: string;
  hostname: string;
  tier: Tier;
}

/** The whole picture at one moment, from the API. */
async function readSnapshot(c: SimController, start: number, now: number): Promise<DemoSnapshot & { example?: { patch: string; host: PatchHost } }> {
  const hosts = await all<{ online: boolean }>(c, '/api/v1/hosts');
  const affected = await all<{ id: string; installedHosts: number; maxScore: number | null }>(c, '/api/v1/patches?affected=true');
  const missing: MissingPatch[] = [];
  let example: { patch: string; host: PatchHost } | undefined;
  for (const p of affected) {
    const tiers: MissingPatch['tiers'] = {};
    for (let offset = 0; ; offset += 500) {
      const page = await c.admin.call<{ hosts: PatchHost[]; affectedHosts: number }>('GET', `/api/v1/patches/${encodeURIComponent(p.id)}?limit=500&offset=${offset}`);
      for (const h of page.hosts) tiers[h.tier] = (tiers[h.tier] ?? 0) + 1;
      if (offset === 0 && page.hosts[0] && example === undefined) example = { patch: p.id, host: page.hosts[0] };
      if (page.hosts.length < 500 || offset + 500 >= page.affectedHosts) break;
    }
    missing.push({ id: p.id, tiers, installed: p.installedHosts });
  }
  const { blocks, rollouts } = await readDecisions(c, true);
  return { now, start, hosts: { total: hosts.length, online: hosts.filter((h) => h.online).length }, missing, rollouts, blocks, ...(example ? { example } : {}) };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Runner lines shown without --demo-verbose: the setup and the controller's output when a run fails, not the hourly bookkeeping. */
const SETUP_LINE = /^(scenario |controller listening|imported the bundled|enrolling |connecting them|\d+ hosts connected|controller output)/;

async function main(): Promise<number> {
  let args: DemoArgs;
  try {
    args = parseDemoArgs(process.argv.slice(2), process.env, ROOT);
  } catch (err) {
    if (!(err instanceof DemoUsageError)) throw err;
    process.stderr.write(`error ${Errors.USAGE.code}: ${err.message}\n${DEMO_USAGE}\n`);
    return 2;
  }
  mkdirSync(join(args.dataDir, '..'), { recursive: true });
  const refused = takeLock(args.lockFile);
  if (refused) {
    say(refused);
    return 2;
  }
  const releaseLock = () => {
    try {
      if ((JSON.parse(readFileSync(args.lockFile, 'utf8')) as { pid: number }).pid === process.pid) unlinkSync(args.lockFile);
    } catch {
      // already gone
    }
  };
  process.once('exit', releaseLock);

  const holder = databaseHolder(args.dataDir);
  if (holder !== undefined) {
    say(`${args.dataDir} is still in use by process ${holder} (its pgdata.lock): stop it first; nothing was removed`);
    return 2;
  }
  // Relative to the repository (where `pnpm patchfleet` runs) when inside it.
  const rel = relative(ROOT, args.dataDir);
  const dir = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : args.dataDir;
  const cli = (command: string) => `pnpm patchfleet ${command} --data-dir ${dir}`;

  const scenario = demoScenarioOf(await loadScenario(DEMO_SCENARIO), args);
  say(`Patchfleet demo: ${scenario.fleet.hosts} SIMULATED hosts (not real machines: the fleet simulator plays them) talk the real protocol over WSS`);
  say(`to a real controller in simulation mode, whose clock is virtual: ${scenario.days} days, ${pace(args.hourMs)}.`);
  if (existsSync(args.dataDir)) {
    rmSync(args.dataDir, { recursive: true, force: true });
    say(`fresh start: removed the previous demo's data (${dir}); a demo always starts over (the simulated hosts live only in the running demo)`);
  }

  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      say(`${signal} again: leaving at once (the controller and the hosts stop when this process is gone)`);
      process.exit(130);
    }
    say(`${signal}: stopping the simulated hosts and the controller ...`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const runnerSay = (line: string) => {
    if (abort.signal.aborted && !args.verbose) return; // the runner's complaints about a controller that Ctrl-C stopped
    if (args.verbose) say(`  (simulator) ${line}`);
    else if (SETUP_LINE.test(line)) say(`  ${line}`);
  };

  const told = newTold();
  const toldRollouts = new Set<string>();
  let stepEnd = performance.now();
  let shownExample = false;
  const wallStart = performance.now();
  const elapsed = () => `${((performance.now() - wallStart) / 1000).toFixed(0)} s`;

  /** Reads what happened in the hour just simulated and says what is new; once a day the whole picture. */
  const afterStep = async (s: StepInfo): Promise<void> => {
    const start = DEFAULT_RUN_OPTIONS.start;
    const now = start + s.hour * 3_600_000;
    try {
      const day = dayOf(s.hour);
      const snap = day !== undefined || s.hour === s.hours ? await readSnapshot(s.controller, start, now) : { now, start, ...(await readDecisions(s.controller, false)) };
      for (const r of snap.rollouts) {
        if (toldRollouts.has(r.id)) continue;
        toldRollouts.add(r.id);
        say(`rollout ordered at ${when(now, start)}: ${r.name} (${r.id}); follow it: ${cli(`rollout status ${r.id}`)}`);
      }
      for (const line of newEvents({ ...snap, hosts: { total: 0, online: 0 }, missing: [] }, told)) {
        say(line.startsWith(' ') ? line : `${line}   [${elapsed()} after the start]`);
        if (line.startsWith('  why:')) say(`  look: ${cli('incidents list')}; ${cli('blocks list')}`);
      }
      if ('hosts' in snap) {
        for (const line of dayLines(snap)) say(line);
        if (!shownExample && snap.example) {
          shownExample = true;
          say(`  one host's missing patches: ${cli(`hosts patches ${snap.example.host.hostId}`)}   (${snap.example.host.hostname}, missing ${snap.example.patch})`);
        }
      }
    } catch (err) {
      if (abort.signal.aborted) return; // the controller is stopping
      throw err;
    }
    if (s.hour === s.hours) {
      say(`day ${scenario.days} reached (${elapsed()}): the virtual clock stops here. The controller keeps serving the CLI and the API until Ctrl-C:`);
      say(`  ${cli('rollout list')}`);
      say(`  ${cli('blocks list')}`);
      await untilAborted(abort.signal);
      return;
    }
    await sleep(args.hourMs - (performance.now() - stepEnd), abort.signal);
    stepEnd = performance.now();
  };

  const onController = async (c: SimController): Promise<void> => {
    say(`controller   ${c.boot.url}   (simulation mode; data: ${dir})`);
    say(`admin token  in ${join(dir, 'bootstrap.json')}`);
    say(`look around from another terminal, in ${ROOT.replace(/\/$/, '')} (the CLI finds the controller through bootstrap.json):`);
    for (const command of ['hosts list', 'rollout list', 'blocks list', 'incidents list']) say(`  ${cli(command)}`);
    say('Ctrl-C stops the demo at any time.');
  };

  try {
    await runRollout(
      scenario,
      { ...DEFAULT_RUN_OPTIONS, dataDir: args.dataDir, port: args.port, bundled: await bundledCatalog(), signal: abort.signal, hooks: { onController, afterStep } },
      runnerSay,
    );
  } catch (err) {
    if (!abort.signal.aborted) {
      say(`the demo failed: ${(err as Error).message}`);
      return 1;
    }
  }
  if (!abort.signal.aborted) {
    say('the run ended without Ctrl-C');
    return 1;
  }
  say(`stopped: no simulated host and no controller is left running. The data stays in ${dir}; the next pnpm start --demo starts fresh.`);
  return 0;
}

const code = await main();
// Everything the demo started is stopped by now; a step that lost its controller may still hold a timer.
process.exit(code);
