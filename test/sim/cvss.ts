/**
 * CVSS 3.1 base scores (FIRST's specification, section 7 and appendix A),
 * so a synthetic advisory can carry a vector that agrees with the score a
 * scenario gives. Only what the simulator's synthetic feeds need.
 */

const AV = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 } as const;
const AC = { L: 0.77, H: 0.44 } as const;
const UI = { N: 0.85, R: 0.62 } as const;
const CIA = { H: 0.56, L: 0.22, N: 0 } as const;
/** Privileges required: the weight depends on the scope. */
const PR = { U: { N: 0.85, L: 0.62, H: 0.27 }, C: { N: 0.85, L: 0.68, H: 0.5 } } as const;

/** The CVSS 3.1 base metrics. */
export interface CvssBase {
  av: keyof typeof AV;
  ac: keyof typeof AC;
  pr: 'N' | 'L' | 'H';
  ui: keyof typeof UI;
  s: 'U' | 'C';
  c: keyof typeof CIA;
  i: keyof typeof CIA;
  a: keyof typeof CIA;
}

/** CVSS 3.1 Roundup: the smallest one-decimal number not below `x`, immune to floating-point noise. */
export function roundUp(x: number): number {
  const n = Math.round(x * 100_000);
  return n % 10_000 === 0 ? n / 100_000 : (Math.floor(n / 10_000) + 1) / 10;
}

/** Base score of a metric set (0.0 to 10.0). */
export function cvss31BaseScore(m: CvssBase): number {
  const iss = 1 - (1 - CIA[m.c]) * (1 - CIA[m.i]) * (1 - CIA[m.a]);
  const impact = m.s === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability = 8.22 * AV[m.av] * AC[m.ac] * PR[m.s][m.pr] * UI[m.ui];
  if (impact <= 0) return 0;
  return m.s === 'U' ? roundUp(Math.min(impact + exploitability, 10)) : roundUp(Math.min(1.08 * (impact + exploitability), 10));
}

/** `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H` */
export function cvss31Vector(m: CvssBase): string {
  return `CVSS:3.1/AV:${m.av}/AC:${m.ac}/PR:${m.pr}/UI:${m.ui}/S:${m.s}/C:${m.c}/I:${m.i}/A:${m.a}`;
}

/** Every base metric set, network attacks and fewer prerequisites first. */
function* allBases(): Generator<CvssBase> {
  for (const av of ['N', 'A', 'L', 'P'] as const)
    for (const ac of ['L', 'H'] as const)
      for (const pr of ['N', 'L', 'H'] as const)
        for (const ui of ['N', 'R'] as const)
          for (const s of ['U', 'C'] as const)
            for (const c of ['H', 'L', 'N'] as const) for (const i of ['H', 'L', 'N'] as const) for (const a of ['H', 'L', 'N'] as const) yield { av, ac, pr, ui, s, c, i, a };
}

let table: { base: CvssBase; score: number }[] | undefined;

/**
 * A CVSS 3.1 vector for a base score: the first (in the order of `allBases`)
 * whose score equals it, else the one closest to it. `score` is the vector's
 * own score, equal to the one asked for whenever CVSS 3.1 can express it.
 */
export function vectorForScore(target: number): { vector: string; score: number } {
  table ??= [...allBases()].map((base) => ({ base, score: cvss31BaseScore(base) }));
  let best = table[0]!;
  for (const entry of table) {
    if (Math.abs(entry.score - target) < Math.abs(best.score - target)) best = entry;
    if (best.score === target) break;
  }
  return { vector: cvss31Vector(best.base), score: best.score };
}
