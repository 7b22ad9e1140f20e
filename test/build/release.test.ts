/**
 * `pnpm release` on this checkout: one folder with both executables, the
 * .deb, the signed MSI, the signed update metadata, the SBOM and
 * SHA256SUMS, each checked with the tool a user would check it with
 * (sha256sum, dpkg-deb, osslsigncode, the agent's own metadata check).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyExe } from '@patchfleet/agent/scripts/sea/signing';
import { sbomProblems } from '@patchfleet/agent/scripts/sbom';
import { releaseFileFor, verifyReleaseFile, verifyReleaseMetadata } from '@patchfleet/shared/release';
import { REPO_ROOT } from '../support/processes';

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'agent', 'package.json'), 'utf8')) as { version: string }).version;
let out: string;
let run: ReturnType<typeof spawnSync>;

function pnpmRelease(args: string[]) {
  return spawnSync('pnpm', ['--silent', 'release', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 });
}

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'pf-release-'));
  run = pnpmRelease(['--out', out]);
}, 620_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('pnpm release', () => {
  it('writes the executables, both installers, the signed metadata, the SBOM and SHA256SUMS into one folder, with progress', () => {
    expect(run.status, String(run.stderr)).toBe(0);
    expect(String(run.stderr)).toMatch(/\[1\/6\] bundle and executables[\s\S]*\[6\/6\] done/);
    expect(readdirSync(out).sort()).toEqual(
      [
        `patchfleet-agent-${VERSION}-linux-x64`,
        `patchfleet-agent-${VERSION}-win-x64.exe`,
        `patchfleet-agent_${VERSION}_amd64.deb`,
        `patchfleet-agent-${VERSION}-x64.msi`,
        `agent-release-${VERSION}.json`,
        `patchfleet-agent-${VERSION}.cdx.json`,
        'SHA256SUMS',
      ].sort(),
    );
  });

  it('SHA256SUMS covers every other file and verifies with sha256sum -c', () => {
    const sums = readFileSync(join(out, 'SHA256SUMS'), 'utf8').trim().split('\n');
    expect(sums.map((l) => l.split('  ')[1]).sort()).toEqual(readdirSync(out).filter((f) => f !== 'SHA256SUMS').sort());
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, encoding: 'utf8' })).not.toMatch(/FAILED/);
  });

  it('signs the update metadata with the release key the executables pin, naming both executables by hash', () => {
    const key = JSON.parse(readFileSync(join(REPO_ROOT, 'agent', '.cache', 'test-release-key', 'release-key.json'), 'utf8')) as { publicKey: string };
    const signed = verifyReleaseMetadata(readFileSync(join(out, `agent-release-${VERSION}.json`), 'utf8'), { publicKey: key.publicKey, now: Date.now() });
    expect(signed.version).toBe(VERSION);
    // Valid for 30 days.
    expect(Date.parse(signed.expires) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    for (const platform of ['linux-x64', 'win-x64'] as const) {
      const file = releaseFileFor(signed, platform);
      expect(() => verifyReleaseFile(file, readFileSync(join(out, file.name)))).not.toThrow();
    }
    // The Linux executable reports the release's version.
    expect(execFileSync(join(out, `patchfleet-agent-${VERSION}-linux-x64`), ['--version'], { encoding: 'utf8' })).toContain(`patchfleet-agent ${VERSION}`);
  });

  it('holds a .deb of the version, a signed MSI and a valid SBOM', async () => {
    expect(execFileSync('dpkg-deb', ['-f', join(out, `patchfleet-agent_${VERSION}_amd64.deb`), 'Package', 'Version'], { encoding: 'utf8' })).toBe(`Package: patchfleet-agent\nVersion: ${VERSION}\n`);
    expect(verifyExe(join(out, `patchfleet-agent-${VERSION}-x64.msi`), join(REPO_ROOT, 'agent', '.cache', 'test-signing', 'test-ca.pem'))).toMatch(/Signature verification: ok/);
    expect(await sbomProblems(readFileSync(join(out, `patchfleet-agent-${VERSION}.cdx.json`), 'utf8'))).toBeNull();
  });

  it('refuses a bad flag and a version that is not MAJOR.MINOR.PATCH with PF_ERR_USAGE, exit 2', () => {
    for (const args of [['--bogus'], ['--version', '1.2']]) {
      const bad = pnpmRelease(args);
      expect(bad.status).toBe(2);
      expect(String(bad.stderr)).toContain('PF_ERR_USAGE');
    }
  });
});
