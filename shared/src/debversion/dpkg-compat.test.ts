/**
 * Checks compareDebVersions against the real `dpkg --compare-versions` on real Ubuntu
 * versions (the USN fixtures), variants of them, and seeded random versions.
 *
 * dpkg is required: without it this file fails rather than skips, because a skipped
 * compatibility check would read as a passing one.
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareDebVersions, parseDebVersion } from './index';

const execFileAsync = promisify(execFile);

const USN_DIR = new URL('../../../test/fixtures/advisories/usn/', import.meta.url);

/** One pair to compare and where it came from, for readable failures. */
interface Pair {
  readonly a: string;
  readonly b: string;
  readonly source: string;
}

type Verdict = 'lt' | 'eq' | 'gt' | 'error';

interface DpkgAnswer {
  readonly verdict: Verdict;
  /** dpkg printed something on stderr, i.e. it found the syntax doubtful. */
  readonly warned: boolean;
}

// Versions travel as positional parameters ("$1" "$2"), never as shell code, so any
// character in them is inert. One sh per batch saves a Node spawn per dpkg call.
const DPKG_BATCH_SCRIPT = `
while [ "$#" -ge 2 ]; do
  a=$1; b=$2; shift 2
  msg=$(dpkg --compare-versions "$a" lt "$b" 2>&1); st=$?
  if [ "$st" -eq 0 ]; then r=lt
  elif [ "$st" -eq 1 ]; then
    msg2=$(dpkg --compare-versions "$a" eq "$b" 2>&1); st=$?
    msg="$msg$msg2"
    if [ "$st" -eq 0 ]; then r=eq; elif [ "$st" -eq 1 ]; then r=gt; else r=error; fi
  else r=error
  fi
  if [ -n "$msg" ]; then printf '%s warn\\n' "$r"; else printf '%s ok\\n' "$r"; fi
done
`;
const BATCH_SIZE = 250;

/** Asks dpkg about every pair, a few batches at a time. */
async function askDpkg(pairs: readonly Pair[]): Promise<DpkgAnswer[]> {
  const batches: Pair[][] = [];
  for (let i = 0; i < pairs.length; i += BATCH_SIZE) batches.push(pairs.slice(i, i + BATCH_SIZE));
  const answers: DpkgAnswer[][] = new Array<DpkgAnswer[]>(batches.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const index = next++;
      answers[index] = await askDpkgBatch(batches[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), 4) }, worker));
  return answers.flat();
}

async function askDpkgBatch(batch: readonly Pair[]): Promise<DpkgAnswer[]> {
  for (const { a, b } of batch) {
    // dpkg would read a leading '-' as an option; valid versions never start with one.
    if (a.startsWith('-') || b.startsWith('-')) throw new Error(`pair ${a} / ${b} cannot be passed to dpkg`);
  }
  const args = batch.flatMap(({ a, b }) => [a, b]);
  const { stdout } = await execFileAsync('sh', ['-c', DPKG_BATCH_SCRIPT, 'dpkg-compat', ...args], {
    env: { ...process.env, LC_ALL: 'C' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const lines = stdout.split('\n').filter((line) => line !== '');
  if (lines.length !== batch.length) {
    throw new Error(`dpkg batch answered ${lines.length} lines for ${batch.length} pairs`);
  }
  return lines.map((line) => {
    const [verdict, flag] = line.split(' ');
    if (verdict !== 'lt' && verdict !== 'eq' && verdict !== 'gt' && verdict !== 'error') {
      throw new Error(`unexpected dpkg batch output ${JSON.stringify(line)}`);
    }
    return { verdict, warned: flag === 'warn' };
  });
}

function ourVerdict(a: string, b: string): Verdict {
  const c = compareDebVersions(a, b);
  return c < 0 ? 'lt' : c > 0 ? 'gt' : 'eq';
}

/** dpkg warns, without failing, about an upstream version not starting with a digit. */
function expectDpkgWarning(v: string): boolean {
  return !/^[0-9]/.test(parseDebVersion(v).upstream);
}

/** Compares our verdict with dpkg's for each pair and returns the disagreements. */
function disagreements(pairs: readonly Pair[], answers: readonly DpkgAnswer[]): string[] {
  const out: string[] = [];
  pairs.forEach((pair, i) => {
    const dpkg = answers[i]!;
    const ours = ourVerdict(pair.a, pair.b);
    const warned = expectDpkgWarning(pair.a) || expectDpkgWarning(pair.b);
    if (dpkg.verdict !== ours || dpkg.warned !== warned) {
      out.push(`${pair.a} vs ${pair.b} (${pair.source}): dpkg ${dpkg.verdict}${dpkg.warned ? ' with a warning' : ''}, ours ${ours}`);
    }
  });
  return out;
}

/** Collects pairs, dropping repeats in either order. */
class PairSet {
  readonly pairs: Pair[] = [];
  readonly #seen = new Set<string>();

  add(a: string, b: string, source: string): void {
    if (a === b) return;
    const key = a < b ? `${a}\n${b}` : `${b}\n${a}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.pairs.push({ a, b, source });
  }
}

/** The parts of an OSV record this test reads. */
interface OsvAffected {
  package?: { ecosystem?: string; name?: string };
  ranges?: { events?: Record<string, string>[] }[];
  versions?: string[];
}

interface PackageVersions {
  readonly all: Set<string>;
  readonly fixed: Set<string>;
}

/** Versions per (release, package) from every USN fixture. */
function loadUsnVersions(): Map<string, PackageVersions> {
  const files = readdirSync(USN_DIR).filter((name) => name.endsWith('.json'));
  if (files.length === 0) throw new Error(`no USN fixtures in ${USN_DIR.pathname}`);
  const byPackage = new Map<string, PackageVersions>();
  for (const file of files) {
    const record = JSON.parse(readFileSync(new URL(file, USN_DIR), 'utf8')) as { affected?: OsvAffected[] };
    for (const affected of record.affected ?? []) {
      const key = `${affected.package?.ecosystem ?? '?'}/${affected.package?.name ?? '?'}`;
      let entry = byPackage.get(key);
      if (!entry) {
        entry = { all: new Set(), fixed: new Set() };
        byPackage.set(key, entry);
      }
      for (const range of affected.ranges ?? []) {
        for (const event of range.events ?? []) {
          for (const [kind, version] of Object.entries(event)) {
            entry.all.add(version);
            if (kind === 'fixed') entry.fixed.add(version);
          }
        }
      }
      for (const version of affected.versions ?? []) entry.all.add(version);
    }
  }
  return byPackage;
}

/** Versions close to `v` in ways that exercise each rule of the ordering. */
function variants(v: string): string[] {
  const { epoch, upstream, revision } = parseDebVersion(v);
  const rest = revision === '' ? upstream : `${upstream}-${revision}`;
  const out = [
    `${v}~1`,
    `${v}~`,
    `${v}+1`,
    `${v}a`,
    `${v}.0`,
    `${v}-0`,
    `${epoch + 1}:${rest}`,
    `${epoch}:${rest}`,
    `${v}99999999999999999999`,
    revision === '' ? `${upstream}-0` : `${upstream}-${revision}~1`,
  ];
  // The last number bumped by one and padded with zeros (equal to the original).
  const lastNumber = /([0-9]+)([^0-9]*)$/.exec(v);
  if (lastNumber) {
    const head = v.slice(0, lastNumber.index);
    out.push(`${head}${incrementDigits(lastNumber[1]!)}${lastNumber[2]}`);
    out.push(`${head}00${lastNumber[1]}${lastNumber[2]}`);
  }
  return out;
}

/** Adds one to a string of digits without going through Number. */
function incrementDigits(digits: string): string {
  const chars = [...digits];
  for (let i = chars.length - 1; i >= 0; i--) {
    if (chars[i] !== '9') {
      chars[i] = String(Number(chars[i]) + 1);
      return chars.join('');
    }
    chars[i] = '0';
  }
  return `1${chars.join('')}`;
}

/** Small seeded PRNG (mulberry32) so a failing random pair reproduces. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buildUsnPairs(byPackage: Map<string, PackageVersions>): PairSet {
  const set = new PairSet();
  const everything = new Set<string>();
  for (const [key, { all, fixed }] of byPackage) {
    const sorted = [...all].sort(compareDebVersions);
    sorted.forEach((v) => everything.add(v));
    for (const f of fixed) {
      for (const v of sorted) set.add(f, v, `${key}: fixed vs listed`);
    }
    for (let i = 0; i + 1 < sorted.length; i++) set.add(sorted[i]!, sorted[i + 1]!, `${key}: neighbours`);
    for (const f of fixed) {
      const at = sorted.indexOf(f);
      const neighbours = [sorted[at - 1], sorted[at + 1]].filter((n): n is string => n !== undefined);
      for (const m of variants(f)) {
        set.add(f, m, `${key}: variant of fixed`);
        for (const n of neighbours) set.add(m, n, `${key}: variant of fixed vs neighbour`);
      }
    }
  }
  // Across packages and releases: global neighbours and a seeded sample of pairs.
  const global = [...everything].sort(compareDebVersions);
  for (let i = 0; i + 1 < global.length; i++) set.add(global[i]!, global[i + 1]!, 'global neighbours');
  const random = seededRandom(20240601);
  for (let i = 0; i < 300; i++) {
    const a = global[Math.floor(random() * global.length)]!;
    const b = global[Math.floor(random() * global.length)]!;
    set.add(a, b, 'global sample');
  }
  return set;
}

const UPSTREAM_CHARS = '0123456789000111.+~abzAZ';
const REVISION_CHARS = '0123456789001.+~ab';

/** Random valid versions plus one-character edits of them, which compare close. */
function buildSyntheticPairs(count: number): PairSet {
  const random = seededRandom(7);
  const pick = (chars: string): string => chars[Math.floor(random() * chars.length)]!;
  const word = (chars: string, max: number): string => {
    let s = '';
    const length = 1 + Math.floor(random() * max);
    for (let i = 0; i < length; i++) s += pick(chars);
    return s;
  };
  interface Parts {
    epoch: string;
    upstream: string;
    revision: string;
  }
  const render = ({ epoch, upstream, revision }: Parts): string =>
    `${epoch === '' ? '' : `${epoch}:`}${upstream}${revision === '' ? '' : `-${revision}`}`;
  const make = (): Parts => {
    const epoch = random() < 0.2 ? String(Math.floor(random() * 3)) : '';
    const revision = random() < 0.6 ? word(REVISION_CHARS, 5) : '';
    let chars = UPSTREAM_CHARS;
    // ':' and '-' may appear in the upstream part only with an epoch and a revision.
    if (epoch !== '') chars += ':';
    if (revision !== '') chars += '-';
    // Mostly a leading digit; the rest checks dpkg's warn-but-compare path.
    const first = random() < 0.9 ? pick('0123456789') : pick('ab~');
    return { epoch, upstream: first + word(chars, 8).replace(/^[:-]+/, ''), revision };
  };
  const edit = (s: string, chars: string): string => {
    const at = Math.floor(random() * (s.length + 1));
    const roll = random();
    if (roll < 0.4) return s.slice(0, at) + pick(chars) + s.slice(at);
    if (roll < 0.7 && s.length > 1) return s.slice(0, at) + s.slice(at + 1);
    return s.slice(0, at) + pick(chars) + s.slice(at + 1);
  };
  const set = new PairSet();
  while (set.pairs.length < count) {
    const a = make();
    if (random() < 0.3) {
      set.add(render(a), render(make()), 'synthetic: independent');
      continue;
    }
    const b = { ...a };
    if (random() < 0.5 || a.revision === '') b.upstream = edit(a.upstream, '0123456789.+~aZ');
    else b.revision = edit(a.revision, REVISION_CHARS);
    // Keep b valid by construction: non-empty parts, no leading separator.
    if (b.upstream === '' || /^[:-]/.test(b.upstream) || (a.revision !== '' && b.revision === '')) continue;
    set.add(render(a), render(b), 'synthetic: one edit');
  }
  return set;
}

describe('compareDebVersions agrees with dpkg --compare-versions', () => {
  beforeAll(async () => {
    let version = '';
    try {
      ({ stdout: version } = await execFileAsync('dpkg', ['--version']));
    } catch (err) {
      throw new Error(
        'dpkg is required for this test and was not found or did not run; install it (apt-get install dpkg). ' +
          `Cause: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    if (!version.includes('dpkg')) throw new Error(`"dpkg --version" printed something unexpected: ${version}`);
  });

  it('on real Ubuntu versions from the USN fixtures and variants of them', { timeout: 180_000 }, async () => {
    const byPackage = loadUsnVersions();
    const { pairs } = buildUsnPairs(byPackage);
    // Guards against the fixtures or the pair building silently shrinking.
    expect(byPackage.size).toBeGreaterThanOrEqual(50);
    expect(pairs.length).toBeGreaterThanOrEqual(2000);

    const started = performance.now();
    const answers = await askDpkg(pairs);
    const elapsed = performance.now() - started;

    expect(disagreements(pairs, answers)).toEqual([]);
    // Every ordering must be exercised, or the comparison above proves little.
    for (const verdict of ['lt', 'eq', 'gt'] as const) {
      expect(answers.filter((answer) => answer.verdict === verdict).length, verdict).toBeGreaterThan(20);
    }
    console.info(`dpkg-compat: ${pairs.length} USN pairs from ${byPackage.size} packages agree with dpkg (${Math.round(elapsed)} ms in dpkg)`);
  });

  it('on seeded random versions', { timeout: 180_000 }, async () => {
    const { pairs } = buildSyntheticPairs(600);
    const started = performance.now();
    const answers = await askDpkg(pairs);
    const elapsed = performance.now() - started;

    expect(disagreements(pairs, answers)).toEqual([]);
    for (const verdict of ['lt', 'eq', 'gt'] as const) {
      expect(answers.filter((answer) => answer.verdict === verdict).length, verdict).toBeGreaterThan(5);
    }
    expect(answers.filter((answer) => answer.warned).length).toBeGreaterThan(5);
    console.info(`dpkg-compat: ${pairs.length} random pairs agree with dpkg (${Math.round(elapsed)} ms in dpkg)`);
  });

  it('only rejects versions whose syntax dpkg also refuses or warns about', async () => {
    const rejected = [
      '0:',
      ':1.0',
      '1.0-',
      '0:-1',
      '0:0 0-1',
      'a:0-0',
      '1.0-a:b',
      '2147483648:1.0',
      '999999999999999999999999:0-1',
      '0:0-0:0',
      '1.0_1',
      '1.0-1_1',
      '1.0/1',
      '1.0é',
      '1.0;rm -rf x',
      '$(touch x)',
    ];
    for (const v of rejected) expect(() => parseDebVersion(v), v).toThrow(/invalid Debian version/);
    const answers = await askDpkg(rejected.map((v) => ({ a: v, b: '1.0', source: 'rejected' })));
    const accepted = rejected.filter((_, i) => answers[i]!.verdict !== 'error' && !answers[i]!.warned);
    expect(accepted).toEqual([]);
  });
});
