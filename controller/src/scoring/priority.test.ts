import { describe, expect, it } from 'vitest';
import type { CveInfo } from '../catalog/model';
import type { Criticality, HostRisk } from './host-risk';
import { scorePriority, TIER_THRESHOLDS, tierOf } from './priority';
import { resolveSla } from './sla';
import { cve, fixtureEpss, fixtureKev } from './test-cves';

const NOW = Date.parse('2025-11-20T10:00:00Z');
const ORDINARY: HostRisk = { criticality: 'medium', internetFacing: false };
const CRITICALITIES: Criticality[] = ['low', 'medium', 'high', 'critical'];
const HOSTS: HostRisk[] = CRITICALITIES.flatMap((criticality) => [
  { criticality, internetFacing: false },
  { criticality, internetFacing: true },
]);

// Microsoft Windows Kernel race condition (November 2025): CVSS 7.0 local, exploited, in KEV.
const CVE_2025_62215 = cve('CVE-2025-62215', {
  cvssScore: 7.0,
  cvssVector: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H/E:F/RL:O/RC:C',
  severity: 'Important',
  exploited: true,
  publiclyDisclosed: false,
  kev: fixtureKev('CVE-2025-62215'),
});

// cups-browsed (September 2024): network, EPSS 0.92, not in KEV.
const CVE_2024_47176 = cve('CVE-2024-47176', {
  cvssScore: 8.3,
  cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:L/A:H',
  epss: fixtureEpss('CVE-2024-47176'),
});

// A spread of CVEs the properties below are checked on.
const SAMPLES: CveInfo[] = [];
for (const cvssScore of [null, 0, 2.1, 4.3, 5.5, 6.5, 7.0, 7.8, 8.8, 9.8, 10]) {
  for (const epss of [null, { score: 0.0004, percentile: 0.1 }, { score: 0.02, percentile: 0.85 }, { score: 0.3, percentile: 0.97 }, { score: 0.97, percentile: 0.9999 }]) {
    for (const vector of [null, 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H']) {
      SAMPLES.push(cve(`CVE-2025-${SAMPLES.length + 1000}`, { cvssScore, cvssVector: vector, epss: epss && { ...epss, date: '2025-11-01' }, severity: cvssScore === null ? 'Moderate' : null }));
    }
  }
}
const score = (cves: CveInfo[], host: HostRisk = ORDINARY) => scorePriority({ cves, host, now: NOW }).score;
const KEV = { dateAdded: '2025-11-12', dueDate: '2025-12-03', ransomware: false };

describe('scorePriority: monotonicity', () => {
  it('adding KEV (with or without ransomware use) never lowers the score', () => {
    for (const host of HOSTS) {
      for (const c of SAMPLES) {
        const plain = score([c], host);
        const kev = score([{ ...c, kev: KEV }], host);
        const ransomware = score([{ ...c, kev: { ...KEV, ransomware: true } }], host);
        expect(kev, `${c.id} ${JSON.stringify(host)}`).toBeGreaterThanOrEqual(plain);
        expect(ransomware).toBeGreaterThanOrEqual(kev);
        // The vendor's exploited flag counts like KEV.
        expect(score([{ ...c, exploited: true }], host)).toBe(kev);
      }
    }
  });

  it('a higher CVSS never lowers the score', () => {
    for (const host of HOSTS) {
      for (const c of SAMPLES) {
        let previous = -1;
        for (let step = 0; step <= 40; step++) {
          const s = score([{ ...c, cvssScore: step / 4 }], host);
          expect(s).toBeGreaterThanOrEqual(previous);
          previous = s;
        }
      }
    }
  });

  it('a higher EPSS probability or percentile never lowers the score', () => {
    for (const c of SAMPLES) {
      let previous = -1;
      for (const p of [0, 0.0001, 0.001, 0.002, 0.01, 0.05, 0.1, 0.5, 0.9, 1]) {
        const s = score([{ ...c, epss: { score: p, percentile: 0.5, date: '2025-11-01' } }]);
        expect(s).toBeGreaterThanOrEqual(previous);
        previous = s;
      }
      previous = -1;
      for (const q of [0, 0.5, 0.9, 0.91, 0.95, 0.99, 1]) {
        const s = score([{ ...c, epss: { score: 0.01, percentile: q, date: '2025-11-01' } }]);
        expect(s).toBeGreaterThanOrEqual(previous);
        previous = s;
      }
    }
  });

  it('internet exposure and a higher criticality never lower the score', () => {
    for (const c of SAMPLES) {
      let previous = -1;
      for (const criticality of CRITICALITIES) {
        const internal = score([c], { criticality, internetFacing: false });
        expect(internal).toBeGreaterThanOrEqual(previous);
        expect(score([c], { criticality, internetFacing: true })).toBeGreaterThanOrEqual(internal);
        previous = internal;
      }
    }
  });

  it('adding a CVE to an advisory never lowers its score, and it is an integer in 0-100', () => {
    for (const c of SAMPLES) {
      const alone = score([c]);
      expect(Number.isInteger(alone)).toBe(true);
      expect(alone).toBeGreaterThanOrEqual(0);
      expect(alone).toBeLessThanOrEqual(100);
      expect(score([c, SAMPLES[0]!])).toBeGreaterThanOrEqual(alone);
    }
    expect(score([cve('CVE-2025-1', { cvssScore: 10, kev: { ...KEV, ransomware: true } })], { criticality: 'critical', internetFacing: true })).toBe(100);
    expect(score([cve('CVE-2025-1', { cvssScore: 0 })], { criticality: 'low', internetFacing: false })).toBe(0);
  });
});

describe('scorePriority: tiers', () => {
  it('puts the boundaries at 80, 60 and 30', () => {
    expect(TIER_THRESHOLDS).toEqual({ critical: 80, high: 60, medium: 30 });
    expect([100, 80, 79, 60, 59, 30, 29, 0].map(tierOf)).toEqual(['critical', 'critical', 'high', 'high', 'medium', 'medium', 'low', 'low']);
  });

  it('lands typical CVEs where a security team would put them', () => {
    const network = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
    // CVSS alone: at most high.
    expect(scorePriority({ cves: [cve('CVE-2025-1', { cvssScore: 9.8, cvssVector: network })], host: ORDINARY, now: NOW })).toMatchObject({ score: 69, tier: 'high' });
    expect(scorePriority({ cves: [cve('CVE-2025-1', { cvssScore: 7.5 })], host: ORDINARY, now: NOW })).toMatchObject({ score: 53, tier: 'medium' });
    expect(scorePriority({ cves: [cve('CVE-2025-1', { cvssScore: 3.7 })], host: ORDINARY, now: NOW })).toMatchObject({ score: 26, tier: 'low' });
    // Exposure turns a network-exploitable 9.8 critical.
    expect(scorePriority({ cves: [cve('CVE-2025-1', { cvssScore: 9.8, cvssVector: network })], host: { criticality: 'medium', internetFacing: true }, now: NOW })).toMatchObject({ score: 81, tier: 'critical' });
    // Likely exploitation lifts a 7.5 to high.
    const likely = cve('CVE-2025-1', { cvssScore: 7.5, epss: { score: 0.05, percentile: 0.95, date: '2025-11-01' } });
    expect(scorePriority({ cves: [likely], host: ORDINARY, now: NOW })).toMatchObject({ score: 69, tier: 'high' });
    // KEV is at least high, even for a low CVSS on a low-criticality host.
    const kevLow = cve('CVE-2025-1', { cvssScore: 3.1, kev: KEV });
    expect(scorePriority({ cves: [kevLow], host: ORDINARY, now: NOW })).toMatchObject({ score: 75, tier: 'high' });
    expect(scorePriority({ cves: [kevLow], host: { criticality: 'low', internetFacing: false }, now: NOW }).tier).toBe('high');
    expect(scorePriority({ cves: [kevLow], host: { criticality: 'high', internetFacing: false }, now: NOW })).toMatchObject({ score: 83, tier: 'critical' });
    // Ransomware use: critical on an ordinary host.
    expect(scorePriority({ cves: [{ ...kevLow, kev: { ...KEV, ransomware: true } }], host: ORDINARY, now: NOW })).toMatchObject({ score: 85, tier: 'critical' });
  });

  it('scores a vendor severity word when there is no CVSS, and an unknown CVE as medium', () => {
    expect(score([cve('CVE-2025-1', { severity: 'Critical' })])).toBe(67);
    expect(score([cve('CVE-2025-1', { severity: 'important' })])).toBe(56);
    expect(score([cve('CVE-2025-1', { severity: 'Low' })])).toBe(14);
    expect(score([cve('CVE-2025-1', { severity: 'untriaged' })])).toBe(39);
    expect(score([cve('CVE-2025-1')])).toBe(39);
    expect(score([])).toBe(39);
  });
});

describe('scorePriority: real CVEs from the fixtures', () => {
  it('CVE-2025-62215 (KEV, exploited, local): high on an ordinary host, critical on an exposed or important one', () => {
    const release = '2025-11-11T08:00:00Z';
    const ordinary = scorePriority({ cves: [CVE_2025_62215], host: ORDINARY, releasedAt: release, now: NOW });
    expect(ordinary).toMatchObject({ score: 79, tier: 'high', dueBy: '2025-11-18T08:00:00.000Z' });
    expect(ordinary.reasons).toContain('CVE-2025-62215 is in CISA KEV (added 2025-11-12, due 2025-12-03)');
    expect(ordinary.reasons).toContain('CVSS 7.0 (CVE-2025-62215)');
    expect(ordinary.reasons).toContain('host criticality medium');
    expect(ordinary.reasons).toContain('due 2025-11-18: high tier SLA: 7 days after release on 2025-11-11');

    const exposed = scorePriority({ cves: [CVE_2025_62215], host: { criticality: 'medium', internetFacing: true }, releasedAt: release, now: NOW });
    expect(exposed).toMatchObject({ score: 83, tier: 'critical', dueBy: '2025-11-13T08:00:00.000Z' });
    expect(exposed.reasons).toContain('host is internet-facing (CVE-2025-62215 needs local or adjacent access, so it counts less)');
    expect(scorePriority({ cves: [CVE_2025_62215], host: { criticality: 'high', internetFacing: false }, releasedAt: release, now: NOW }).tier).toBe('critical');
  });

  it('CVE-2024-47176 (EPSS 0.92, 99th percentile, network): critical from likelihood alone', () => {
    const p = scorePriority({ cves: [CVE_2024_47176], host: ORDINARY, releasedAt: '2024-09-26T20:24:02Z', now: NOW });
    expect(p.tier).toBe('critical');
    expect(p.reasons).toContain('EPSS 0.92 (99th percentile) for CVE-2024-47176');
    expect(p.reasons).toContain('CVSS 8.3 (CVE-2024-47176)');
    expect(p.reasons).toContain('overdue since 2024-09-28');
  });

  it('an EPSS score near zero leaves a CVE at its severity', () => {
    // CVE-2025-47827 is in KEV but has EPSS 0.00005: KEV decides.
    const epss = fixtureEpss('CVE-2025-47827');
    expect(epss.score).toBeLessThan(0.001);
    expect(score([cve('CVE-2025-47827', { cvssScore: 4.6, epss })])).toBe(32);
    expect(scorePriority({ cves: [cve('CVE-2025-47827', { cvssScore: 4.6, epss })], host: ORDINARY, now: NOW }).reasons).toContain('EPSS 0.00005 (bottom percentile) for CVE-2025-47827');
    expect(score([cve('CVE-2025-47827', { cvssScore: 4.6, epss, kev: fixtureKev('CVE-2025-47827') })])).toBe(75);
  });

  it('CVE-2025-29824 (KEV, ransomware use): says so and is critical', () => {
    const c = cve('CVE-2025-29824', { cvssScore: 7.8, cvssVector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', epss: fixtureEpss('CVE-2025-29824'), kev: fixtureKev('CVE-2025-29824') });
    const p = scorePriority({ cves: [c], host: ORDINARY, releasedAt: '2025-04-08T07:00:00Z', now: Date.parse('2025-04-09T00:00:00Z') });
    expect(p.tier).toBe('critical');
    expect(p.reasons[0]).toBe('CVE-2025-29824 is in CISA KEV (added 2025-04-08, due 2025-04-29), known to be used in ransomware campaigns');
    expect(p.reasons).toContain('EPSS 0.03 (86th percentile) for CVE-2025-29824');
  });
});

describe('scorePriority: deadlines', () => {
  it('counts the tier SLA from the release date, or from now when it is unknown', () => {
    const c = [cve('CVE-2025-1', { cvssScore: 5.0 })];
    expect(scorePriority({ cves: c, host: ORDINARY, releasedAt: '2025-11-01', now: NOW })).toMatchObject({ tier: 'medium', dueBy: '2025-12-01T00:00:00.000Z' });
    const unknown = scorePriority({ cves: c, host: ORDINARY, releasedAt: null, now: NOW });
    expect(unknown.dueBy).toBe('2025-12-20T10:00:00.000Z');
    expect(unknown.reasons).toContain('due 2025-12-20: medium tier SLA: 30 days after first seen 2025-11-20 (release date unknown)');
    expect(scorePriority({ cves: [cve('CVE-2025-1', { cvssScore: 2.0 })], host: ORDINARY, now: NOW }).dueBy).toBe('2026-02-18T10:00:00.000Z');
  });

  it('uses a configured SLA', () => {
    const sla = resolveSla({ critical: 1, high: 3 });
    const p = scorePriority({ cves: [cve('CVE-2025-1', { cvssScore: 9.0 })], host: ORDINARY, releasedAt: '2025-11-11T00:00:00Z', now: NOW, sla });
    expect(p).toMatchObject({ tier: 'high', dueBy: '2025-11-14T00:00:00.000Z' });
    expect(scorePriority({ cves: [cve('CVE-2025-1', { cvssScore: 5.0 })], host: ORDINARY, now: NOW, sla }).dueBy).toBe('2025-12-20T10:00:00.000Z');
  });

  it('takes the KEV due date when it is sooner than the SLA, and says so', () => {
    // A 30-day high tier would end on 2025-12-11; KEV says 2025-12-03.
    const sla = resolveSla({ high: 30, medium: 30 });
    const p = scorePriority({ cves: [CVE_2025_62215], host: ORDINARY, releasedAt: '2025-11-11T08:00:00Z', now: NOW, sla });
    expect(p).toMatchObject({ tier: 'high', dueBy: '2025-12-03T23:59:59.000Z' });
    expect(p.reasons).toContain(
      'due 2025-12-03: the CISA KEV due date of CVE-2025-62215 is sooner than the high tier SLA: 30 days after release on 2025-11-11 (2025-12-11)',
    );
  });

  it('takes the KEV due date for an advisory first seen just before it (Looney Tunables)', () => {
    const c = cve('CVE-2023-4911', { cvssScore: 7.8, epss: fixtureEpss('CVE-2023-4911'), kev: fixtureKev('CVE-2023-4911') });
    const p = scorePriority({ cves: [c], host: ORDINARY, now: Date.parse('2023-12-11T12:00:00Z') });
    expect(p.tier).toBe('critical');
    expect(p.dueBy).toBe('2023-12-12T23:59:59.000Z');
    // With the release date known the 2-day SLA is long past, and sooner than KEV's.
    const released = scorePriority({ cves: [c], host: ORDINARY, releasedAt: '2023-10-03T18:04:23Z', now: Date.parse('2023-12-11T12:00:00Z') });
    expect(released.dueBy).toBe('2023-10-05T18:04:23.000Z');
    expect(released.reasons).toContain('overdue since 2023-10-05');
  });

  it('keeps the SLA when the KEV due date is later, and uses the earliest of several KEV dates', () => {
    const later = cve('CVE-2025-2', { cvssScore: 9.0, kev: { dateAdded: '2025-11-12', dueDate: '2026-01-30', ransomware: false } });
    const sooner = cve('CVE-2025-3', { cvssScore: 2.0, kev: { dateAdded: '2025-11-12', dueDate: '2025-11-14', ransomware: false } });
    expect(scorePriority({ cves: [later], host: ORDINARY, now: NOW }).dueBy).toBe('2025-11-22T10:00:00.000Z');
    expect(scorePriority({ cves: [later, sooner], host: ORDINARY, now: NOW }).dueBy).toBe('2025-11-14T23:59:59.000Z');
  });

  it('refuses an unreadable release date', () => {
    expect(() => scorePriority({ cves: [], host: ORDINARY, releasedAt: 'last tuesday', now: NOW })).toThrow(/release date "last tuesday" is not an ISO date/);
  });
});

describe('scorePriority: reasons', () => {
  it('puts exploitation first, then the driving CVE, the host, the tier and the deadline', () => {
    const now = Date.parse('2025-11-12T00:00:00Z');
    const p = scorePriority({ cves: [CVE_2024_47176, CVE_2025_62215], host: { criticality: 'high', internetFacing: true }, releasedAt: '2025-11-11T08:00:00Z', now });
    expect(p.reasons).toEqual([
      'CVE-2025-62215 is in CISA KEV (added 2025-11-12, due 2025-12-03)',
      'CVE-2024-47176 is the most urgent of 2 CVEs',
      'EPSS 0.92 (99th percentile) for CVE-2024-47176',
      'CVSS 8.3 (CVE-2024-47176)',
      'host is internet-facing and CVE-2024-47176 is network-exploitable',
      'host criticality high',
      'score 100: critical tier (80 and above)',
      'due 2025-11-13: critical tier SLA: 2 days after release on 2025-11-11',
    ]);
  });

  it('explains missing data instead of hiding it', () => {
    const p = scorePriority({ cves: [cve('CVE-2025-9', { severity: 'Important', publiclyDisclosed: true })], host: ORDINARY, now: NOW });
    expect(p.reasons).toContain('no EPSS score for CVE-2025-9');
    expect(p.reasons).toContain('CVE-2025-9 was publicly disclosed');
    expect(p.reasons).toContain('no CVSS for CVE-2025-9: vendor severity Important counted as CVSS 8.0');
    expect(scorePriority({ cves: [cve('CVE-2025-9')], host: ORDINARY, now: NOW }).reasons).toContain('no CVSS or vendor severity for CVE-2025-9: counted as medium (CVSS 5.5)');
    expect(scorePriority({ cves: [], host: ORDINARY, now: NOW }).reasons).toContain('no CVEs listed: severity counted as medium');
  });

  it('names the vendor exploited flag, the highest CVSS when another CVE drives, and caps the KEV list', () => {
    const exploited = cve('CVE-2025-10', { cvssScore: 6.0, exploited: true });
    const severe = cve('CVE-2025-11', { cvssScore: 9.1 });
    const p = scorePriority({ cves: [severe, exploited], host: ORDINARY, now: NOW });
    expect(p.reasons).toContain('CVE-2025-10 is exploited in the wild according to the vendor');
    expect(p.reasons).toContain('CVE-2025-10 is the most urgent of 2 CVEs');
    expect(p.reasons).toContain('highest CVSS is 9.1 (CVE-2025-11)');

    const many = [1, 2, 3, 4, 5].map((n) => cve(`CVE-2025-2${n}`, { cvssScore: 5, kev: { ...KEV, dueDate: `2025-12-0${n}` } }));
    const reasons = scorePriority({ cves: many, host: ORDINARY, now: NOW }).reasons;
    expect(reasons.filter((r) => r.includes('is in CISA KEV'))).toHaveLength(3);
    expect(reasons).toContain('2 more CVEs of this advisory are in CISA KEV');
  });
});
