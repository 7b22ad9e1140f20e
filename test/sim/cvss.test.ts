import { describe, expect, it } from 'vitest';
import { fixtureFeeds } from '../support/advisories';
import { cvss31BaseScore, roundUp, vectorForScore, type CvssBase } from './cvss';

/** The base metrics of a CVSS 3.1 vector (temporal metrics ignored). */
function parseVector(vector: string): CvssBase {
  const m = Object.fromEntries(vector.split('/').slice(1).map((kv) => kv.split(':') as [string, string]));
  return { av: m['AV'], ac: m['AC'], pr: m['PR'], ui: m['UI'], s: m['S'], c: m['C'], i: m['I'], a: m['A'] } as CvssBase;
}

describe('CVSS 3.1 base scores', () => {
  it('agree with every CVSS 3.1 base score Microsoft published in the bundled CVRF documents', async () => {
    const sets = (await fixtureFeeds()).cvrf.flatMap((d) => d.vulnerabilities.flatMap((v) => v.scoreSets)).filter((s) => s.vector.startsWith('CVSS:3.1/'));
    expect(sets.length).toBeGreaterThan(1000);
    const wrong = sets.filter((s) => cvss31BaseScore(parseVector(s.vector)) !== s.baseScore);
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('rounds up as the specification does, without floating-point noise', () => {
    expect(roundUp(4.02)).toBe(4.1);
    expect(roundUp(4.0)).toBe(4.0);
    // 0.1 + 0.2 is 0.30000000000000004 in binary floating point: still 0.3.
    expect(roundUp(0.1 + 0.2)).toBe(0.3);
  });

  it('finds a vector with exactly the score for every score CVSS 3.1 can express, and the closest one otherwise', async () => {
    const published = new Set((await fixtureFeeds()).cvrf.flatMap((d) => d.vulnerabilities.flatMap((v) => v.scoreSets.map((s) => s.baseScore))));
    for (const score of published) {
      const found = vectorForScore(score);
      expect(found.score).toBe(score);
      expect(cvss31BaseScore(parseVector(found.vector))).toBe(score);
    }
    // The lowest non-zero CVSS 3.1 score is 1.6; above it no score is more than a tenth from one a vector gives.
    for (let tenths = 16; tenths <= 100; tenths++) expect(Math.abs(vectorForScore(tenths / 10).score - tenths / 10)).toBeLessThanOrEqual(0.1 + 1e-9);
    expect(vectorForScore(1).score).toBe(1.6);
    expect(vectorForScore(0).vector).toMatch(/C:N\/I:N\/A:N$/);
  });
});
