/** What-if comparisons: policy files checked with messages naming the file, column names, the side-by-side table. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarize, type PairResult, type RolloutReport } from './metrics';
import { BASELINE, parsePolicy, PolicyFileError, policyLabels, readPolicy, sideBySideTable } from './side-by-side';

function report(pairs: PairResult[], wall: number): RolloutReport {
  return { scenario: 'what-if', pairs, summary: summarize(pairs, wall) };
}
const pair = (patch: string, cls: string, bad: boolean, o: Partial<PairResult>): PairResult => ({
  patch, class: cls, bad, blocked: false, blockedAtDay: null, exposed: 0, harmed: 0, rolledBack: 0, hosts: 100, patchedAtEnd: 0, daysTo95: null, ...o,
});

describe('sideBySideTable', () => {
  it('one column per run: summary rows, then each pair', () => {
    const cautious = report([
      pair('KB5071001', 'win11-hp', true, { blocked: true, blockedAtDay: 1.625, exposed: 2, harmed: 2, rolledBack: 2 }),
      pair('USN-7801-1', 'ubuntu-api', false, { exposed: 90, patchedAtEnd: 90 }),
    ], 61.04);
    const fast = report([
      pair('KB5071001', 'win11-hp', true, { exposed: 100, harmed: 40, patchedAtEnd: 100, daysTo95: 0.5 }),
      pair('USN-7801-1', 'ubuntu-api', false, { exposed: 100, patchedAtEnd: 100, daysTo95: 1.25 }),
    ], 58);
    const text = sideBySideTable('what-if', [{ policy: 'cautious', report: cautious }, { policy: '/tmp/fast.json', report: fast }]);
    expect(text.split('\n')).toEqual([
      'scenario what-if',
      '                              cautious  /tmp/fast.json',
      'precision                            1               1',
      'recall                               1               0',
      'badExposureMedian                0.020               1',
      'badHarmedTotal                       2              40',
      'goodCoverage                     0.900               1',
      'goodDaysTo95Median                   -           1.250',
      'wallSeconds                       61.0            58.0',
      'KB5071001 win11-hp (bad)',
      '  blocked                     day 1.63              no',
      '  exposed                            2             100',
      '  harmed                             2              40',
      '  patchedAtEnd                       0             100',
      '  daysTo95                           -           0.500',
      'USN-7801-1 ubuntu-api (good)',
      '  blocked                           no              no',
      '  exposed                           90             100',
      '  harmed                             0               0',
      '  patchedAtEnd                      90             100',
      '  daysTo95                           -           1.250',
    ]);
  });

  it('a failed run shows as failed, its cells empty', () => {
    const ok = report([pair('KB5000001', 'a', false, { exposed: 3, patchedAtEnd: 3 })], 1);
    const lines = sideBySideTable('s', [{ policy: BASELINE, error: 'boom' }, { policy: 'b', report: ok }]).split('\n');
    expect(lines.slice(1, 4)).toEqual([`                    ${BASELINE}      b`, 'run                          failed     ok', 'precision                                1']);
    expect(lines).toContain('  exposed                                3');
  });
});

describe('policy files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pf-policy-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('reads a policy', async () => {
    const p = file('ok.json', JSON.stringify({ name: 'slow', rings: [{ name: 'First', percent: 5 }, { name: 'Broad', percent: 95, deferralDays: 7 }], rules: [] }));
    await expect(readPolicy(p)).resolves.toEqual({ name: 'slow', rings: [{ name: 'First', percent: 5 }, { name: 'Broad', percent: 95, deferralDays: 7 }], rules: [] });
  });

  it('a file that is not JSON or missing is a clear error naming the file', async () => {
    const p = file('bad.json', '{ rings: [ }');
    await expect(readPolicy(p)).rejects.toThrow(PolicyFileError);
    await expect(readPolicy(p)).rejects.toThrow(new RegExp(`^policy ${p} is not JSON: `));
    await expect(readPolicy(join(dir, 'missing.json'))).rejects.toThrow(`policy ${join(dir, 'missing.json')}: cannot read it: no such file`);
  });

  it.each([
    [[], /p\.json: a policy is an object/],
    [{ rings: [] }, /"rings" must be a non-empty list/],
    [{ ring: [{ name: 'A' }] }, /unknown field "ring"/],
    [{ rings: [{ percent: 5 }] }, /rings\[0\] has no "name"/],
    [{ rings: [{ name: 'has space' }] }, /rings\[0\]\.name "has space" is not a ring name/],
    [{ rings: [{ name: 'A' }, { name: 'A' }] }, /ring "A" is named twice/],
    [{ rings: [{ name: 'A' }], rules: {} }, /"rules" must be a list/],
    [{ name: '', rings: [{ name: 'A' }] }, /"name" must be a non-empty string/],
  ])('refuses %j', (value, message) => {
    expect(() => parsePolicy(value, 'p.json')).toThrow(PolicyFileError);
    expect(() => parsePolicy(value, 'p.json')).toThrow(message);
  });

  it('columns are named by the policy name, or by the file when there is none or it is taken', () => {
    const rings = [{ name: 'A' }];
    expect(policyLabels([{ file: 'a.json', policy: { name: 'slow', rings } }, { file: 'b.json', policy: { rings } }], true)).toEqual([BASELINE, 'slow', 'b.json']);
    expect(policyLabels([{ file: 'a.json', policy: { name: 'same', rings } }, { file: 'b.json', policy: { name: 'same', rings } }], false)).toEqual(['a.json', 'b.json']);
    expect(policyLabels([{ file: 'a.json', policy: { name: BASELINE, rings } }], true)).toEqual([BASELINE, 'a.json']);
    expect(policyLabels([{ file: 'b.json', policy: { rings } }, { file: 'c.json', policy: { name: 'b.json', rings } }], false)).toEqual(['b.json', 'c.json']);
  });
});
