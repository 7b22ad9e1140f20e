/**
 * `tsx test/bench/fanout/profile-top.ts FILE.cpuprofile [--from US --to US] [--top N]`
 *
 * Where a V8 CPU profile (from `pnpm bench:fanout --cpu-prof-dir DIR`) spent
 * its time: the functions with the most self time, and the share under
 * each of a few named callers (inclusive). `--from`/`--to` keep only the
 * samples in that window of the profile clock (CLOCK_MONOTONIC in µs, as
 * the bench prints for the connect phase), so a run's connect phase can be
 * read apart from its enrollment and its fan-out.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self and inclusive microseconds per function (name + file:line), from the samples inside [from, to]. */
export function summarise(profile: Profile, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode) => {
    const file = n.callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '').replace(/^.*\/wt-[^/]+\//, '');
    return `${n.callFrame.functionName || '(anonymous)'} ${file}${file ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let t = profile.startTime;
  for (const [i, id] of profile.samples.entries()) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(id);
    if (!node) continue;
    const name = label(node);
    if (name.startsWith('(idle)')) continue;
    total += dt;
    self.set(name, (self.get(name) ?? 0) + dt);
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = node; n; n = byId.get(parent.get(n.id) ?? -1)) {
      const l = label(n);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
    }
  }
  return { totalUs: total, self, inclusive };
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { from: { type: 'string' }, to: { type: 'string' }, top: { type: 'string', default: '30' }, grep: { type: 'string' } } });
  const file = positionals[0];
  if (!file) {
    process.stderr.write('usage: tsx test/bench/fanout/profile-top.ts FILE.cpuprofile [--from US --to US] [--top N] [--grep TEXT]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const s = summarise(profile, values.from ? Number(values.from) : undefined, values.to ? Number(values.to) : undefined);
  const top = Number(values.top);
  const pct = (us: number) => `${((us / s.totalUs) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms`;
  process.stdout.write(`busy (not idle) ${(s.totalUs / 1000).toFixed(0)} ms\n\nself time:\n`);
  for (const [name, us] of [...s.self].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${name}\n`);
  process.stdout.write('\ninclusive time:\n');
  const incl = [...s.inclusive].filter(([name]) => !values.grep || name.includes(values.grep)).sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [name, us] of incl) process.stdout.write(`${pct(us)}  ${name}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() as string)) main();
