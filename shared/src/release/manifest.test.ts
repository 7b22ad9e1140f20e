import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeEd25519 } from '../crypto/ed25519';
import { isPfError } from '../errors/index';
import { compareAgentVersions, RELEASE_PURPOSE, releaseFileFor, signRelease, verifyReleaseFile, verifyReleaseMetadata, type ReleaseSigned } from './manifest';

const key = nodeEd25519.generateKeyPair();
const now = Date.parse('2026-12-07T12:00:00Z');
const exe = Buffer.from('pretend this is an executable');
const signed: ReleaseSigned = {
  purpose: RELEASE_PURPOSE,
  version: '0.2.0',
  expires: '2026-12-14T12:00:00Z',
  files: [{ platform: 'linux-x64', name: 'patchfleet-agent-linux-x64-0.2.0', sha256: createHash('sha256').update(exe).digest('hex'), size: exe.length }],
};
const text = (value: unknown) => JSON.stringify(value);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isPfError(err) ? err.code : `not a PfError: ${(err as Error).message}`;
  }
  return 'no error';
}

describe('release metadata', () => {
  const good = signRelease(signed, key.secretKey);
  const check = { publicKey: key.publicKey, now, runningVersion: '0.1.0' };

  it('verifies metadata signed by the pinned key and finds the file of a platform', () => {
    const v = verifyReleaseMetadata(text(good), check);
    expect(v.version).toBe('0.2.0');
    expect(() => verifyReleaseFile(releaseFileFor(v, 'linux-x64'), exe)).not.toThrow();
    expect(codeOf(() => releaseFileFor(v, 'win-x64'))).toBe('PF_ERR_RELEASE_HASH');
  });

  it('refuses tampered metadata, another key, a missing signature and non-JSON (PF_ERR_RELEASE_SIGNATURE)', () => {
    const tampered = { ...good, signed: { ...good.signed, files: [{ ...signed.files[0], sha256: 'a'.repeat(64) }] } };
    expect(codeOf(() => verifyReleaseMetadata(text(tampered), check))).toBe('PF_ERR_RELEASE_SIGNATURE');
    const other = signRelease(signed, nodeEd25519.generateKeyPair().secretKey);
    expect(codeOf(() => verifyReleaseMetadata(text(other), check))).toBe('PF_ERR_RELEASE_SIGNATURE');
    // A signature of another key relabelled with the pinned key's id.
    const relabelled = { signed: good.signed, signatures: [{ keyid: good.signatures[0]?.keyid, sig: other.signatures[0]?.sig }] };
    expect(codeOf(() => verifyReleaseMetadata(text(relabelled), check))).toBe('PF_ERR_RELEASE_SIGNATURE');
    expect(codeOf(() => verifyReleaseMetadata(text({ signed: good.signed, signatures: [] }), check))).toBe('PF_ERR_RELEASE_SIGNATURE');
    expect(codeOf(() => verifyReleaseMetadata('{"signed":', check))).toBe('PF_ERR_RELEASE_SIGNATURE');
  });

  it('refuses expired metadata (PF_ERR_RELEASE_EXPIRED)', () => {
    const stale = signRelease({ ...signed, expires: '2026-12-07T11:59:59Z' }, key.secretKey);
    expect(codeOf(() => verifyReleaseMetadata(text(stale), check))).toBe('PF_ERR_RELEASE_EXPIRED');
  });

  it('refuses a release that is not newer than the running agent (PF_ERR_RELEASE_DOWNGRADE)', () => {
    expect(codeOf(() => verifyReleaseMetadata(text(good), { ...check, runningVersion: '0.2.0' }))).toBe('PF_ERR_RELEASE_DOWNGRADE');
    expect(codeOf(() => verifyReleaseMetadata(text(good), { ...check, runningVersion: '0.10.0' }))).toBe('PF_ERR_RELEASE_DOWNGRADE');
    expect(codeOf(() => verifyReleaseMetadata(text(good), { ...check, expectedVersion: '0.3.0' }))).toBe('PF_ERR_RELEASE_DOWNGRADE');
  });

  it('refuses a file whose size or hash differs from the signed entry (PF_ERR_RELEASE_HASH)', () => {
    const file = releaseFileFor(verifyReleaseMetadata(text(good), check), 'linux-x64');
    const flipped = Buffer.from(exe);
    flipped[3] = (flipped[3] ?? 0) ^ 1;
    expect(codeOf(() => verifyReleaseFile(file, flipped))).toBe('PF_ERR_RELEASE_HASH');
    expect(codeOf(() => verifyReleaseFile(file, Buffer.concat([exe, Buffer.from('x')])))).toBe('PF_ERR_RELEASE_HASH');
  });

  it('refuses to sign malformed metadata', () => {
    expect(codeOf(() => signRelease({ ...signed, version: '1.2' }, key.secretKey))).toBe('PF_ERR_VALIDATION');
    expect(codeOf(() => signRelease({ ...signed, files: [{ ...signed.files[0]!, name: '../etc/passwd' }] }, key.secretKey))).toBe('PF_ERR_VALIDATION');
  });

  it('orders versions numerically', () => {
    expect(compareAgentVersions('0.10.0', '0.9.9')).toBeGreaterThan(0);
    expect(compareAgentVersions('1.0.0', '1.0.0')).toBe(0);
    expect(compareAgentVersions('0.1.0', '0.1.1')).toBeLessThan(0);
  });
});
