/**
 * `pnpm release [--out DIR] [--version V]`: one folder holding everything a
 * release of the agent ships, built offline from this checkout:
 *
 *   patchfleet-agent-V-linux-x64        the Linux single executable
 *   patchfleet-agent-V-win-x64.exe      the Windows one (Authenticode-signed)
 *   patchfleet-agent_V_amd64.deb        the Debian package (dpkg-deb)
 *   patchfleet-agent-V-x64.msi          the Windows installer (wixl, signed)
 *   agent-release-V.json                the signed release metadata (self-update)
 *   patchfleet-agent-V.cdx.json         the SBOM (CycloneDX 1.6) of what is in the executables
 *   SHA256SUMS                          `sha256sum -c` format, over every file above
 *
 * Default folder: release/V/ at the repository root (git-ignored). The
 * folder is written afresh (a stale file from an earlier run must not end up
 * in SHA256SUMS); a controller serves it as its releases directory.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Errors, PfError, isPfError } from '@patchfleet/shared/errors';
import { bundleAgent } from './bundle';
import { buildAgentExecutables } from './executables';
import { nodeEd25519 } from '@patchfleet/shared/crypto';
import { buildDeb } from './deb';
import { signReleaseMetadata } from './release-metadata';
import { AGENT_VERSION } from '../src/version';
import { buildMsi } from './msi';
import { agentSbom, sbomProblems } from './sbom';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface ReleaseOptions {
  /** Default: the agent package's version. */
  version?: string;
  /** Default: release/<version>/ at the repository root. */
  outDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Days until the signed metadata expires (default 30; agents refuse expired metadata). */
  expiresInDays?: number;
  /** Progress lines (default: stderr). */
  progress?: (line: string) => void;
}

export interface Release {
  dir: string;
  version: string;
  /** File names in the folder, SHA256SUMS last. */
  files: string[];
}

export function agentPackageVersion(): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function buildRelease(opts: ReleaseOptions = {}): Promise<Release> {
  const version = opts.version ?? agentPackageVersion();
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new PfError(Errors.USAGE, `release version "${version}" must be MAJOR.MINOR.PATCH`);
  const dir = resolve(opts.outDir ?? join(root, '..', 'release', version));
  const say = opts.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  say(`release ${version} -> ${dir}`);
  const env = opts.env ?? process.env;
  say('[1/6] bundle and executables');
  // The bundle is made for its metafile (the SBOM's source), in a folder of its own: dist/ may be in use.
  const bundleDir = mkdtempSync(join(tmpdir(), 'pf-release-bundle-'));
  const bundle = await bundleAgent(bundleDir);
  // Another version than the checkout's is built beside dist/bin, not over it.
  const exes = await buildAgentExecutables({ env, ...(version === AGENT_VERSION ? {} : { version, distDir: join(root, 'dist', `release-${version}`) }) });
  if (exes.version !== version) throw new PfError(Errors.USAGE, `the executables report ${exes.version}, not ${version}: unset PATCHFLEET_AGENT_VERSION or pass --version ${exes.version}`);
  // The metadata must be signed by the key the executables pin: a configured one (its private half from
  // PATCHFLEET_RELEASE_KEY_FILE, kept offline), or the test key the build made.
  const keyFile = env.PATCHFLEET_RELEASE_KEY_FILE ?? exes.release.testKeyFile;
  if (!keyFile) throw new PfError(Errors.USAGE, 'the executables pin a configured release key: set PATCHFLEET_RELEASE_KEY_FILE to its private key file to sign the release');
  const { secretKey } = JSON.parse(readFileSync(keyFile, 'utf8')) as { secretKey?: string };
  if (typeof secretKey !== 'string' || nodeEd25519.publicKeyOf(secretKey) !== exes.release.publicKey) {
    throw new PfError(Errors.USAGE, `${keyFile} is not the private half of the release key the executables pin (${exes.release.publicKey})`);
  }
  const linux = join(dir, `patchfleet-agent-${version}-linux-x64`);
  const windows = join(dir, `patchfleet-agent-${version}-win-x64.exe`);
  copyFileSync(exes.linux, linux);
  copyFileSync(exes.windows, windows);

  say('[2/6] installers: Windows (MSI) and Debian (.deb)');
  await buildMsi({ exe: exes.windows, version, outDir: dir, ...(opts.env ? { env: opts.env } : {}) });
  await buildDeb({ exe: exes.linux, version, outDir: dir });

  say('[3/6] signed release metadata (self-update)');
  signReleaseMetadata({
    version,
    files: [
      { platform: 'linux-x64', path: linux },
      { platform: 'win-x64', path: windows },
    ],
    outDir: dir,
    privateKeyPath: keyFile,
    expiresInDays: opts.expiresInDays ?? 30,
    fileName: `agent-release-${version}.json`,
  });

  say('[4/6] SBOM');
  const sbom = agentSbom({ version, metafile: bundle.metafile });
  const problems = await sbomProblems(sbom);
  if (problems !== null) throw new PfError(Errors.INTERNAL, `the SBOM is not valid CycloneDX 1.6: ${JSON.stringify(problems).slice(0, 500)}`);
  writeFileSync(join(dir, `patchfleet-agent-${version}.cdx.json`), sbom);
  rmSync(bundleDir, { recursive: true, force: true });

  say('[5/6] checksums');
  const files = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile() && !f.startsWith('.')).sort();
  const lines: string[] = [];
  for (const f of files) lines.push(`${await sha256File(join(dir, f))}  ${f}`);
  writeFileSync(join(dir, 'SHA256SUMS'), `${lines.join('\n')}\n`);

  say(`[6/6] done${exes.release.testKeyFile ? ' (signed with the TEST release key and the TEST code-signing certificate: for tests only)' : ''}`);
  for (const f of files) say(`  ${f}  ${(statSync(join(dir, f)).size / 2 ** 20).toFixed(1)} MiB`);
  return { dir, version, files: [...files, 'SHA256SUMS'] };
}

function usage(): never {
  throw new PfError(Errors.USAGE, 'usage: pnpm release [--out DIR] [--version MAJOR.MINOR.PATCH]');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const args = process.argv.slice(2).filter((a) => a !== '--');
    const opts: ReleaseOptions = {};
    for (let i = 0; i < args.length; i += 1) {
      const flag = args[i];
      const value = args[i + 1];
      if ((flag === '--out' || flag === '--version') && value !== undefined && !value.startsWith('--')) {
        if (flag === '--out') opts.outDir = value;
        else opts.version = value;
        i += 1;
      } else usage();
    }
    const release = await buildRelease(opts);
    process.stdout.write(`${release.dir}\n`);
  } catch (err) {
    process.stderr.write(`error ${isPfError(err) ? err.code : Errors.INTERNAL.code}: ${(err as Error).message}\n`);
    process.exit(isPfError(err) && err.code === Errors.USAGE.code ? 2 : 1);
  }
}

