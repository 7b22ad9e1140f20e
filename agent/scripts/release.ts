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
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Errors, PfError, isPfError } from '@patchfleet/shared/errors';
import { bundleAgent } from './bundle';
import { buildAgentExecutables } from './executables';
import { buildDeb } from './deb';
import { buildMsi } from './msi';
import { agentSbom, sbomProblems } from './sbom';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface ReleaseOptions {
  /** Default: the agent package's version. */
  version?: string;
  /** Default: release/<version>/ at the repository root. */
  outDir?: string;
  env?: NodeJS.ProcessEnv;
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
  say('[1/5] bundle and executables');
  const bundle = await bundleAgent();
  const exes = await buildAgentExecutables(opts.env ? { env: opts.env } : {});
  const linux = join(dir, `patchfleet-agent-${version}-linux-x64`);
  const windows = join(dir, `patchfleet-agent-${version}-win-x64.exe`);
  copyFileSync(exes.linux, linux);
  copyFileSync(exes.windows, windows);

  say('[2/5] installers: Windows (MSI) and Debian (.deb)');
  await buildMsi({ exe: exes.windows, version, outDir: dir, ...(opts.env ? { env: opts.env } : {}) });
  await buildDeb({ exe: exes.linux, version, outDir: dir });

  say('[3/5] SBOM');
  const sbom = agentSbom({ version, metafile: bundle.metafile });
  const problems = await sbomProblems(sbom);
  if (problems !== null) throw new PfError(Errors.INTERNAL, `the SBOM is not valid CycloneDX 1.6: ${JSON.stringify(problems).slice(0, 500)}`);
  writeFileSync(join(dir, `patchfleet-agent-${version}.cdx.json`), sbom);

  say('[4/5] checksums');
  const files = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile() && !f.startsWith('.')).sort();
  const lines: string[] = [];
  for (const f of files) lines.push(`${await sha256File(join(dir, f))}  ${f}`);
  writeFileSync(join(dir, 'SHA256SUMS'), `${lines.join('\n')}\n`);

  say('[5/5] done');
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
    if (!existsSync(join(release.dir, 'SHA256SUMS'))) process.exit(1);
  } catch (err) {
    process.stderr.write(`error ${isPfError(err) ? err.code : Errors.INTERNAL.code}: ${(err as Error).message}\n`);
    process.exit(isPfError(err) && err.code === Errors.USAGE.code ? 2 : 1);
  }
}

