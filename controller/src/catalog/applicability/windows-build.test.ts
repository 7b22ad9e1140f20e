import { describe, expect, it } from 'vitest';
import { parseWindowsBuild, sameServicingBranch, servicingBranch } from './windows-build';
import { normalizeKbId } from './windows-index';

describe('Windows builds', () => {
  it('parses three- and four-part builds and nothing else', () => {
    expect(parseWindowsBuild('10.0.26100.7171')).toEqual({ major: 10, minor: 0, build: 26100, revision: 7171 });
    expect(parseWindowsBuild('6.1.7601')).toEqual({ major: 6, minor: 1, build: 7601, revision: null });
    // What MSRC writes for Internet Explorer and non-Windows products.
    for (const odd of ['1', '1.000', 'https://example.com/x', '10.0.x.1', '']) expect(parseWindowsBuild(odd)).toBeNull();
  });

  it('puts enablement-package releases on their base branch', () => {
    expect(servicingBranch(26200)).toBe(26100);
    expect(servicingBranch(22631)).toBe(22621);
    expect(servicingBranch(19045)).toBe(19041);
    expect(servicingBranch(20348)).toBe(20348);
    const b = (s: string) => parseWindowsBuild(s)!;
    expect(sameServicingBranch(b('10.0.26200.7462'), b('10.0.26100.7392'))).toBe(true);
    expect(sameServicingBranch(b('10.0.19043.6575'), b('10.0.19044.6575'))).toBe(true);
    expect(sameServicingBranch(b('10.0.26100.1'), b('10.0.20348.1'))).toBe(false);
  });

  it('normalizes KB ids', () => {
    expect(['KB5072033', 'kb5072033', '5072033', ' KB5072033 '].map(normalizeKbId)).toEqual(['KB5072033', 'KB5072033', 'KB5072033', 'KB5072033']);
    expect(normalizeKbId('Release Notes')).toBeNull();
  });
});
