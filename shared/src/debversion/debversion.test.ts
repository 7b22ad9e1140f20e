import { describe, expect, it } from 'vitest';
import { isPfError } from '../errors';
import {
  compareDebVersions,
  compareParsedDebVersions,
  debVersionEq,
  debVersionGe,
  debVersionGt,
  debVersionLe,
  debVersionLt,
  parseDebVersion,
} from './index';

/** Asserts that `v` is rejected with PF_ERR_BAD_VERSION and a message naming it. */
function expectBadVersion(v: string, reason: string): void {
  let thrown: unknown;
  try {
    parseDebVersion(v);
  } catch (err) {
    thrown = err;
  }
  expect(isPfError(thrown), `expected ${JSON.stringify(v)} to be rejected`).toBe(true);
  if (!isPfError(thrown)) return;
  expect(thrown.code).toBe('PF_ERR_BAD_VERSION');
  expect(thrown.status).toBe(400);
  expect(thrown.retryable).toBe(false);
  expect(thrown.message).toContain(JSON.stringify(v));
  expect(thrown.message).toContain(reason);
  expect(thrown.details).toEqual({ version: v, reason: expect.stringContaining(reason) });
}

describe('parseDebVersion', () => {
  // Cases from dpkg's lib/dpkg/t/t-version.c (test_version_parse).
  it.each([
    ['0', 0, '0', ''],
    ['0:0', 0, '0', ''],
    ['0:0-0', 0, '0', '0'],
    ['0:0.0-0.0', 0, '0.0', '0.0'],
    ['1:0', 1, '0', ''],
    ['5:1', 5, '1', ''],
    ['0:0-0-0', 0, '0-0', '0'],
    ['0:0-0-0-0', 0, '0-0-0', '0'],
    ['0:0:0-0', 0, '0:0', '0'],
    ['0:0:0:0-0', 0, '0:0:0', '0'],
    ['0:0:0-0-0', 0, '0:0-0', '0'],
    ['0:0-0:0-0', 0, '0-0:0', '0'],
    ['0:09azAZ.-+~:-0', 0, '09azAZ.-+~:', '0'],
    ['0:0-azAZ09.+~', 0, '0', 'azAZ09.+~'],
    [' \t0:0-1', 0, '0', '1'],
    ['0:0-1\t ', 0, '0', '1'],
    ['\t  0:0-1  \t', 0, '0', '1'],
    ['2147483647:1.0', 2147483647, '1.0', ''],
    ['007:1.0', 7, '1.0', ''],
    ['0000000000002147483647:1', 2147483647, '1', ''],
    ['1:1.1.1-1ubuntu2.1~18.04.23', 1, '1.1.1', '1ubuntu2.1~18.04.23'],
    ['2.35-0ubuntu3.4', 0, '2.35', '0ubuntu3.4'],
  ])('splits %j', (v, epoch, upstream, revision) => {
    expect(parseDebVersion(v)).toEqual({ epoch, upstream, revision });
  });

  it('accepts an upstream version not starting with a digit, as dpkg only warns', () => {
    expect(parseDebVersion('0:abc3-0')).toEqual({ epoch: 0, upstream: 'abc3', revision: '0' });
  });

  it.each([
    ['', 'version string is empty'],
    [' \t ', 'version string is empty'],
    ['0:', 'nothing after colon'],
    [':1.0', 'epoch in version is empty'],
    ['1.0-', 'revision number is empty'],
    ['-1', 'upstream version is empty'],
    ['0:-1', 'upstream version is empty'],
    ['0:0 0-1', 'embedded spaces'],
    ['1.0\t-1', 'embedded spaces'],
    ['-1:0-1', 'epoch in version is not a number'],
    ['a:0-0', 'epoch in version is not a number'],
    ['A:0-0', 'epoch in version is not a number'],
    ['1.0-a:b', 'epoch in version is not a number'],
    ['1-2:3', 'epoch in version is not a number'],
    // dpkg's strtol() would take the sign; we do not (see parseDebVersion's doc).
    ['+1:2.0', 'epoch in version is not a number'],
    ['2147483648:1.0', 'epoch in version is too big'],
    ['999999999999999999999999:0-1', 'epoch in version is too big'],
    ['0:0-0:0', 'invalid character in revision number'],
    ['1.0\n', 'invalid character in version number'],
    ['1.0é', 'invalid character in version number'],
  ])('rejects %j', (v, reason) => {
    expectBadVersion(v, reason);
  });

  // Every printable character dpkg refuses, as in t-version.c.
  it.each([...`!#@$%&/|\\<>()[]{};,_=*^'"`])('rejects %j in the upstream version and in the revision', (c) => {
    expectBadVersion(`0:0${c}-0`, 'invalid character in version number');
    expectBadVersion(`0:0-0${c}`, 'invalid character in revision number');
  });

  it('shortens a very long rejected version in the message', () => {
    const v = `1.0_${'x'.repeat(10_000)}`;
    let message = '';
    try {
      parseDebVersion(v);
    } catch (err) {
      message = err instanceof Error ? err.message : String(err);
    }
    expect(message).toContain('invalid character in version number');
    expect(message.length).toBeLessThan(300);
  });

  it('rejects a non-string at run time', () => {
    expect(() => parseDebVersion(undefined as unknown as string)).toThrow(/not a string/);
  });
});

/** Asserts the sign of compareDebVersions and that swapping the arguments flips it. */
function expectOrder(a: string, b: string, expected: -1 | 0 | 1): void {
  expect(compareDebVersions(a, b), `${a} vs ${b}`).toBe(expected);
  expect(compareDebVersions(b, a), `${b} vs ${a}`).toBe(expected === 0 ? 0 : -expected);
}

describe('compareDebVersions', () => {
  // dpkg's test_version_compare in t-version.c, written as version strings.
  it.each([
    ['0:0-0', '0:0-0', 0],
    ['0:0-00', '0:00-0', 0],
    ['1:2-3', '1:2-3', 0],
    ['0:0-0', '1:0-0', -1],
    ['1:0-0', '2:0-0', -1],
    ['0:1-1', '0:2-1', -1],
    ['0:1-1', '0:1-2', -1],
    ['0:a-0', '0:b-0', -1],
    ['0:0-a', '0:0-b', -1],
  ] as const)('dpkg test case %s vs %s', (a, b, expected) => {
    expectOrder(a, b, expected);
  });

  it('orders by epoch before anything else', () => {
    expectOrder('1:0.1', '99999', 1);
    expectOrder('1:1.0', '2:0.1', -1);
    expectOrder('0:1.0', '1.0', 0);
    expectOrder('10:1', '9:2', 1);
  });

  it('sorts ~ before everything, even the end of the string (Policy 5.6.12)', () => {
    // Policy's own example: ~~, ~~a, ~, the empty part, a.
    const ordered = ['1.0~~', '1.0~~a', '1.0~', '1.0', '1.0a'];
    for (let i = 0; i + 1 < ordered.length; i++) expectOrder(ordered[i]!, ordered[i + 1]!, -1);
    expectOrder('1.0~rc1', '1.0', -1);
    expectOrder('1.0~rc1', '1.0~rc2', -1);
    expectOrder('1.0~beta', '1.0~rc', -1);
    expectOrder('1.0-1~bpo1', '1.0-1', -1);
    expectOrder('1.1.1-1ubuntu2.1~18.04.23', '1.1.1-1ubuntu2.1', -1);
    expectOrder('2.0~1', '1.9', 1);
  });

  it('sorts letters before non-letters, and + after the end of the string', () => {
    expectOrder('1.0a', '1.0+', -1);
    expectOrder('1.0z', '1.0.', -1);
    expectOrder('1.0+', '1.0.', -1);
    expectOrder('1.0Z', '1.0a', -1);
    expectOrder('1.0+dfsg', '1.0', 1);
    expectOrder('1.0+dfsg-1', '1.0-1', 1);
    expectOrder('1.0+b1', '1.0.1', -1);
    expectOrder('1.0-1+deb12u1', '1.0-1', 1);
    expectOrder('1.0-1build1', '1.0-1+deb12u1', -1);
    expectOrder('8.2p1', '8.2', 1);
    expectOrder('8.2p1', '8.2.1', -1);
  });

  it('treats an absent revision as equal to revision 0 and below any other', () => {
    expectOrder('1.0', '1.0-0', 0);
    expectOrder('1.0', '1.0-00', 0);
    expectOrder('1.0', '1.0-1', -1);
    expectOrder('1.0', '1.0-0ubuntu1', -1);
    expectOrder('1.0', '1.0-~', 1);
    expectOrder('1.0-0', '1.0-a', -1);
  });

  it('splits the revision at the last hyphen', () => {
    expectOrder('1.0-2-1', '1.0-1-2', 1);
    expectOrder('1.0-1-1', '1.0-1', 1);
  });

  it('ignores leading zeros in numbers', () => {
    expectOrder('1.01', '1.1', 0);
    expectOrder('1.001', '1.1', 0);
    expectOrder('01.0', '1.0', 0);
    expectOrder('1.0010', '1.9', 1);
    expectOrder('1.0', '1.00', 0);
    expectOrder('1.0', '1.', 0);
    expectOrder('1.0', '1', 1); // '.' sorts after the end of the string
    expectOrder('007:1.0', '7:1.0', 0);
  });

  it('compares numbers past 2^53 exactly', () => {
    // As JavaScript numbers both sides of each pair would be equal.
    expectOrder('1.9007199254740993', '1.9007199254740992', 1);
    expectOrder('99999999999999999999999999999999999999', '99999999999999999999999999999999999998', 1);
    expectOrder('1.000000000000000000000000000000000001', '1.1', 0);
    expectOrder('1.100000000000000000000000000000000000', '1.99999999999999999999999999999999999', 1);
    expectOrder('1-18446744073709551616', '1-18446744073709551615', 1);
    expectOrder(`1.${'9'.repeat(1000)}`, `1.1${'0'.repeat(1000)}`, -1);
  });

  it('compares real Ubuntu versions', () => {
    expectOrder('2.35-0ubuntu3.4', '2.35-0ubuntu3.10', -1);
    expectOrder('1:9.18.18-0ubuntu0.22.04.2', '1:9.18.24-0ubuntu0.22.04.1', -1);
    expectOrder('1:8.9p1-3ubuntu0.10', '1:8.9p1-3ubuntu0.4', 1);
    expectOrder('0.12.1+dfsg-1+deb12u1build0.24.04.1', '0.12.1+dfsg-1build1', 1);
    expectOrder('0~20210905-1', '0', -1);
    expectOrder('0~20210905-1', '0.1', -1);
  });

  it('orders versions with a non-digit start like dpkg does', () => {
    expectOrder('abc', '1.0', 1);
    expectOrder('~abc', '1.0', -1);
  });

  it('gives the same order for parsed versions', () => {
    const sorted = ['1:0', '2.0', '1.0', '1.0~rc1', '1.0+b1', '1.0-1'].map(parseDebVersion).sort(compareParsedDebVersions);
    expect(sorted.map((p) => `${p.epoch}:${p.upstream}-${p.revision}`)).toEqual([
      '0:1.0~rc1-',
      '0:1.0-',
      '0:1.0-1',
      '0:1.0+b1-',
      '0:2.0-',
      '1:0-',
    ]);
  });

  it('throws PF_ERR_BAD_VERSION for an invalid side', () => {
    expect(() => compareDebVersions('1.0', '1.0_1')).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_VERSION' }));
    expect(() => compareDebVersions('', '1.0')).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_VERSION' }));
  });
});

describe('debVersionLt/Le/Eq/Ge/Gt', () => {
  it.each([
    ['1.0~rc1', '1.0', [true, true, false, false, false]],
    ['1.0', '1.0-0', [false, true, true, true, false]],
    ['1:0', '2.0', [false, false, false, true, true]],
  ] as const)('%s vs %s', (a, b, [lt, le, eq, ge, gt]) => {
    expect(debVersionLt(a, b)).toBe(lt);
    expect(debVersionLe(a, b)).toBe(le);
    expect(debVersionEq(a, b)).toBe(eq);
    expect(debVersionGe(a, b)).toBe(ge);
    expect(debVersionGt(a, b)).toBe(gt);
  });
});
