/** Properties of the ring assignment over many random fleets (seeded, so failures reproduce). */
import { describe, expect, it } from 'vitest';
import { assignRings, hostClassOf, targetCounts, type AssignableHost, type AssignableRing } from './assign-rings';

const RINGS: AssignableRing[] = [
  { id: 'rg_test', position: 0, percent: null },
  { id: 'rg_first', position: 1, percent: 1 },
  { id: 'rg_fast', position: 2, percent: 9 },
  { id: 'rg_broad', position: 3, percent: 90 },
];

/** mulberry32: a tiny seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fleet(seed: number, size: number, classes: number): AssignableHost[] {
  const rnd = prng(seed);
  return Array.from({ length: size }, (_, i) => {
    const c = Math.floor(rnd() * classes);
    return { id: `h_${seed}_${i}`, osId: c % 2 ? 'ubuntu' : 'windows', osVersion: `v${c % 3}`, build: `b${c}`, model: `m${c % 5}`, role: `r${c % 4}`, criticality: 'low', labels: { role: `r${c % 4}` } };
  });
}

const counts = (result: Map<string, { ringId: string }>) => {
  const out: Record<string, number> = {};
  for (const a of result.values()) out[a.ringId] = (out[a.ringId] ?? 0) + 1;
  return out;
};

describe('targetCounts', () => {
  it('splits by largest remainder and always sums to the total', () => {
    expect(targetCounts(100, [1, 9, 90])).toEqual([1, 9, 90]);
    expect(targetCounts(7, [1, 9, 90])).toEqual([0, 1, 6]);
    for (let n = 0; n < 300; n++) expect(targetCounts(n, [1, 9, 90]).reduce((a, b) => a + b, 0)).toBe(n);
  });
});

describe('assignRings', () => {
  it('puts pins first, then the first matching rule, then automatic', () => {
    const hosts = fleet(1, 50, 3);
    const [pinned, ruled] = hosts;
    if (!pinned || !ruled) throw new Error('fleet too small');
    ruled.labels = { ...ruled.labels, canary: 'yes' };
    pinned.labels = { ...pinned.labels, canary: 'yes' };
    const result = assignRings(hosts, RINGS, new Map([[pinned.id, 'rg_test']]), [
      { match: { labels: { canary: 'yes' } }, ringId: 'rg_fast' },
      { match: { labels: { canary: 'yes' } }, ringId: 'rg_broad' },
    ]);
    expect(result.get(pinned.id)).toEqual({ ringId: 'rg_test', reason: 'pin' });
    expect(result.get(ruled.id)).toEqual({ ringId: 'rg_fast', reason: 'rule' });
    expect(result.size).toBe(50);
    expect([...result.values()].filter((a) => a.reason === 'auto').every((a) => a.ringId !== 'rg_test')).toBe(true);
  });

  it('ignores pins and rules that name rings that no longer exist', () => {
    const hosts = fleet(2, 10, 1);
    const result = assignRings(hosts, RINGS, new Map([[hosts[0]?.id ?? '', 'rg_gone']]), [{ match: { osId: 'windows' }, ringId: 'rg_gone' }]);
    expect([...result.values()].every((a) => a.reason === 'auto')).toBe(true);
  });

  it('is deterministic: same answer for the same fleet in any input order', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const hosts = fleet(seed, 200 + seed * 7, 12);
      const a = assignRings(hosts, RINGS, new Map(), []);
      const b = assignRings([...hosts].reverse(), [...RINGS].reverse(), new Map(), []);
      expect(Object.fromEntries(b)).toEqual(Object.fromEntries(a));
    }
  });

  it('represents every host class in the first automatic ring, and classes of two or more in the second', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const hosts = fleet(seed, 50 + seed * 30, 5 + seed);
      const result = assignRings(hosts, RINGS, new Map(), []);
      const byClass = new Map<string, string[]>();
      for (const h of hosts) byClass.set(hostClassOf(h), [...(byClass.get(hostClassOf(h)) ?? []), result.get(h.id)?.ringId ?? '']);
      for (const ringsOfClass of byClass.values()) {
        expect(ringsOfClass).toContain('rg_first');
        if (ringsOfClass.length >= 2) expect(ringsOfClass).toContain('rg_fast');
      }
    }
  });

  it('respects the percentages within rounding when the classes fit in the early rings', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const size = 500 + seed * 97;
      const hosts = fleet(seed, size, 3);
      const c = counts(assignRings(hosts, RINGS, new Map(), []));
      const [first = 0, fast = 0, broad = 0] = targetCounts(size, [1, 9, 90]);
      expect(Math.abs((c['rg_first'] ?? 0) - first)).toBeLessThanOrEqual(1);
      expect(Math.abs((c['rg_fast'] ?? 0) - fast)).toBeLessThanOrEqual(1);
      expect(Math.abs((c['rg_broad'] ?? 0) - broad)).toBeLessThanOrEqual(2);
      expect(c['rg_test']).toBeUndefined();
    }
  });

  it('lets the class guarantee win over the share when there are more classes than First has room for', () => {
    const hosts = fleet(3, 100, 40);
    const c = counts(assignRings(hosts, RINGS, new Map(), []));
    expect(c['rg_first']).toBe(new Set(hosts.map(hostClassOf)).size);
  });

  it('moves at most a few existing hosts when one host joins', () => {
    let worst = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const hosts = fleet(seed, 300 + seed * 11, 6);
      const before = assignRings(hosts, RINGS, new Map(), []);
      const extra = fleet(seed + 1000, 1, 6)[0];
      if (!extra) throw new Error('no extra host');
      const after = assignRings([...hosts, extra], RINGS, new Map(), []);
      const moved = hosts.filter((h) => before.get(h.id)?.ringId !== after.get(h.id)?.ringId).length;
      worst = Math.max(worst, moved);
    }
    expect(worst).toBeLessThanOrEqual(4);
  });

  it('assigns nothing automatically without rings that have a share', () => {
    const result = assignRings(fleet(4, 10, 2), [{ id: 'rg_test', position: 0, percent: null }], new Map(), []);
    expect(result.size).toBe(0);
  });
});
