import { describe, expect, it } from 'vitest';
import type { CveInfo } from '../catalog/model';
import type { HostRisk } from './host-risk';
import { PriorityMemo, scorePriority } from './priority';
import { DEFAULT_SLA, type SlaConfig } from './sla';
import { cve, fixtureKev } from './test-cves';
import { seededUniform } from '../safety/stats/simulation';

// CVEs of every shape the score reads: CVSS or not, vector or not, EPSS, KEV, vendor flags.
const POOL: CveInfo[] = [];
for (const cvssScore of [null, 3.1, 5.5, 7.8, 9.8]) {
  for (const epss of [null, { score: 0.0004, percentile: 0.1, date: '2025-11-01' }, { score: 0.3, percentile: 0.97, date: '2025-11-01' }]) {
    for (const vector of [null, 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H']) {
      const n = POOL.length;
      POOL.push(
        cve(`CVE-2025-${10_000 + n}`, {
          cvssScore,
          cvssVector: vector,
          epss,
          severity: cvssScore === null && n % 2 === 0 ? 'Important' : null,
          exploited: n % 11 === 0 ? true : null,
          publiclyDisclosed: n % 7 === 0 ? true : null,
          kev: n % 13 === 0 ? { dateAdded: '2025-10-01', dueDate: `2025-10-${String(10 + (n % 19)).padStart(2, '0')}`, ransomware: n % 26 === 0 } : null,
        }),
      );
    }
  }
}
POOL.push(cve('CVE-2025-62215', { cvssScore: 7.0, exploited: true, kev: fixtureKev('CVE-2025-62215') }));
const KNOWN = new Map(POOL.map((c) => [c.id, c]));
// As assessHost does: an id the catalog does not know scores as unknown.
const lookup = (id: string): CveInfo => KNOWN.get(id) ?? cve(id);
const IDS = [...KNOWN.keys(), 'CVE-2099-1', 'CVE-2099-2'];

const HOSTS: HostRisk[] = (['low', 'medium', 'high', 'critical'] as const).flatMap((criticality) => [
  { criticality, internetFacing: false },
  { criticality, internetFacing: true },
]);
// Fractional days give deadlines between milliseconds: the overdue check and the stored dueBy differ there.
const SLAS: (SlaConfig | undefined)[] = [
  undefined,
  DEFAULT_SLA,
  { critical: 1 / 3, high: 10.5, medium: 45, low: 120 },
  // Each differs from the default in one tier.
  { critical: 1, high: 7, medium: 30, low: 90 },
  { critical: 2, high: 8, medium: 30, low: 90 },
  { critical: 2, high: 7, medium: 31, low: 90 },
  { critical: 2, high: 7, medium: 30, low: 91 },
];
const RELEASES = [null, '2025-10-14T17:00:00.000Z', '2025-11-11', '2025-06-01T00:00:00Z'];
const NOWS = ['2025-10-15T00:00:00Z', '2025-11-13T23:59:59.999Z', '2025-11-20T10:00:00Z', '2026-03-01T00:00:00Z'].map((d) => Date.parse(d));

/** mulberry32: the same calls on every run. */
const rng = seededUniform;

function expectSame(memo: PriorityMemo, ids: readonly string[], host: HostRisk, releasedAt: string | null, now: number, sla: SlaConfig | undefined): void {
  const want = scorePriority({ cves: ids.map(lookup), host, releasedAt, now, ...(sla ? { sla } : {}) });
  const got = memo.score(ids, host, releasedAt, now, sla);
  expect(got.priority, JSON.stringify({ ids, host, releasedAt, now, sla })).toEqual(want);
  expect(got.dueByMs).toBe(Date.parse(want.dueBy));
}

describe('PriorityMemo: the answers of scorePriority', () => {
  it('gives scorePriority answer for every host risk, SLA, release date, time and CVE list, first call or not', () => {
    const next = rng(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    // Few lists, many calls: most calls hit the memo, under every other combination.
    const lists: string[][] = [[]];
    for (let i = 0; i < 30; i++) lists.push(Array.from({ length: 1 + Math.floor(next() * 6) }, () => pick(IDS)));
    lists.push([...IDS]);
    lists.push([...IDS].reverse());
    const memo = new PriorityMemo(lookup);
    for (let i = 0; i < 4000; i++) expectSame(memo, pick(lists), pick(HOSTS), pick(RELEASES), pick(NOWS), pick(SLAS));
    // And every combination, twice, for lists that land in each tier (a CVSS 3.1 CVE alone is low on a low host).
    const tiers = [[IDS[9]!], [IDS[18]!], [IDS[27]!], ['CVE-2025-62215'], []];
    const all = new PriorityMemo(lookup);
    for (let pass = 0; pass < 2; pass++) {
      for (const ids of tiers) for (const host of HOSTS) for (const releasedAt of RELEASES) for (const now of NOWS) for (const sla of SLAS) expectSame(all, ids, host, releasedAt, now, sla);
    }
  });

  it('tells apart lists that agree on length, both ends and the middle', () => {
    const memo = new PriorityMemo(lookup);
    // Same length, first, middle and last id; they differ in between (a KEV CVE in one of them).
    const base = [IDS[1]!, IDS[2]!, IDS[3]!, IDS[4]!, IDS[5]!];
    const variants = [base, ...[0, 13, 26, 39, 45, 46, 30, 31, 32, 33, 34, 35, 36].map((k) => [base[0]!, IDS[k]!, base[2]!, IDS[(k + 1) % IDS.length]!, base[4]!])];
    for (let round = 0; round < 3; round++) {
      for (const ids of variants) expectSame(memo, ids, HOSTS[3]!, '2025-11-11', NOWS[2]!, undefined);
    }
  });

  it('keeps giving scorePriority answers when it is emptied for being full', () => {
    const next = rng(11);
    const memo = new PriorityMemo(lookup, 5);
    for (let i = 0; i < 500; i++) {
      const ids = Array.from({ length: Math.floor(next() * 4) }, () => IDS[Math.floor(next() * IDS.length)]!);
      expectSame(memo, ids, HOSTS[Math.floor(next() * HOSTS.length)]!, RELEASES[i % RELEASES.length]!, NOWS[i % NOWS.length]!, SLAS[i % SLAS.length]);
    }
  });

  it('gives each caller its own reasons and is not changed by what the caller does with the ids', () => {
    const memo = new PriorityMemo(lookup);
    const first = memo.score([IDS[0]!, IDS[1]!], HOSTS[0]!, null, NOWS[0]!);
    first.priority.reasons.push('changed by the caller');
    expectSame(memo, [IDS[0]!, IDS[1]!], HOSTS[0]!, null, NOWS[0]!, undefined);
    // A list changed after the call, away from its ends and middle (what the map's key holds):
    // the memo must not take the changed list for the one it scored.
    const ids = [IDS[1]!, IDS[2]!, IDS[3]!, IDS[4]!, IDS[5]!];
    expectSame(memo, ids, HOSTS[0]!, null, NOWS[0]!, undefined);
    ids[1] = 'CVE-2025-62215';
    expectSame(memo, ids, HOSTS[0]!, null, NOWS[0]!, undefined);
  });

  it('says overdue as scorePriority does when the deadline falls between two milliseconds', () => {
    // 1.000000000125 days after the release is 86,400,000.0108 ms: the stored dueBy is rounded down, the check is not.
    const sla = { ...DEFAULT_SLA, critical: 1.000000000125 };
    const released = '2025-11-11T00:00:00.000Z';
    const due = Date.parse(released) + sla.critical * 86_400_000;
    const ids = ['CVE-2025-62215', IDS[44]!];
    const memo = new PriorityMemo(lookup);
    for (const now of [Math.floor(due), due - 0.005, due, due + 0.005, Math.ceil(due)]) expectSame(memo, ids, HOSTS[7]!, released, now, sla);
    expect(memo.score(ids, HOSTS[7]!, released, due + 0.005, sla).priority.tier).toBe('critical');
  });

  it('compares host risk and SLA by value: objects changed in place or made afresh between calls', () => {
    const memo = new PriorityMemo(lookup);
    const ids = ['CVE-2025-62215', IDS[44]!];
    const host: HostRisk = { criticality: 'low', internetFacing: false };
    const sla = { critical: 2, high: 7, medium: 30, low: 90 };
    for (const criticality of ['low', 'critical', 'low', 'high'] as const) {
      for (const internetFacing of [false, true, false]) {
        host.criticality = criticality;
        host.internetFacing = internetFacing;
        for (const days of [2, 0.5, 2]) {
          sla.critical = days;
          expectSame(memo, ids, host, '2025-11-11', NOWS[2]!, sla);
          expectSame(memo, ids, { ...host }, '2025-11-11', NOWS[2]!, { ...sla });
        }
      }
    }
  });

  it('tells apart more lists under one release date and first CVE than one bucket keeps', () => {
    const memo = new PriorityMemo(lookup);
    // 40 lists starting with the same id, on the same release date (and, for null, the same now).
    const lists = IDS.slice(1, 41).map((id, k) => (k % 2 === 0 ? [IDS[0]!, id] : [IDS[0]!, id, IDS[(k * 7) % IDS.length]!]));
    for (let round = 0; round < 2; round++) {
      for (const ids of lists) {
        expectSame(memo, ids, HOSTS[5]!, '2025-10-14T17:00:00.000Z', NOWS[1]!, undefined);
        expectSame(memo, ids, HOSTS[5]!, null, NOWS[1]!, undefined);
      }
    }
  });
});
