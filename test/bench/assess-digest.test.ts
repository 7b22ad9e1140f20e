/**
 * Assessment answers are unchanged by work done for speed: the results of
 * deterministic synthetic hosts (see assess-digest.ts) must match, host by
 * host, the digests recorded in fixtures/assess-digests.json with the code
 * before the optimisation (the commit is in the file's `recordedAt`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIGEST_CASES, assessmentDigests, fixtureBenchCatalog, type CaseDigest } from './assess-digest';

const catalog = fixtureBenchCatalog();
const recorded = JSON.parse(readFileSync(new URL('./fixtures/assess-digests.json', import.meta.url), 'utf8')) as { recordedAt: string; cases: CaseDigest[] };

describe('assessment results against the recorded digests', () => {
  it('gives the recorded answer for every host of every case', async () => {
    const actual = assessmentDigests(await catalog);
    expect(actual.map((c) => c.name)).toEqual(DIGEST_CASES.map((c) => c.name));
    expect(recorded.cases.map((c) => c.name)).toEqual(DIGEST_CASES.map((c) => c.name));
    for (const [i, c] of actual.entries()) {
      const want = recorded.cases[i]!;
      // The first host that differs, named, before the whole list: a failure says where to look.
      const first = c.perHost.findIndex((d, n) => d !== want.perHost[n]);
      expect(first === -1 ? null : `${c.name}: host ${first} differs`).toBeNull();
      expect(c.perHost).toEqual(want.perHost);
      expect(c.digest).toBe(want.digest);
    }
  });

  it('tells one changed answer apart', async () => {
    // The digest would catch a one-host change: altering one host's clock changes its digest only.
    const base = DIGEST_CASES[1]!;
    const moved = { ...base, hosts: 20, now: (i: number) => base.now(i) + (i === 7 ? 400 * 86_400_000 : 0) };
    const [a] = assessmentDigests(await catalog, [{ ...base, hosts: 20 }]);
    const [b] = assessmentDigests(await catalog, [moved]);
    expect(a!.perHost.filter((d, n) => d !== b!.perHost[n]).length).toBe(1);
    expect(a!.perHost[7]).not.toBe(b!.perHost[7]);
  });
});
