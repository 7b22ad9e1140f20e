/**
 * Builds the agent's Windows installer, patchfleet-agent-<version>-x64.msi,
 * with Debian's wixl (msitools) from deploy/windows/patchfleet-agent.wxs:
 * the signed agent executable, the WinSW service wrapper (msi/winsw.ts) and
 * its configuration deploy/windows/patchfleet-agent-service.xml. The MSI is
 * then Authenticode-signed with osslsigncode, with the same certificate as
 * the executable (sea/signing.ts).
 *
 *   pnpm --filter @patchfleet/agent msi [--exe FILE] [--version X.Y.Z] [--out DIR]
 *
 * Never installed on Windows here: test/deploy/windows-installer.test.ts
 * checks the tables and files of the result with msitools.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { AGENT_VERSION } from '../src/version';
import { serviceWrapper } from './msi/winsw';
import { signExe, signingMaterial, type SigningMaterial } from './sea/signing';

const root = fileURLToPath(new URL('..', import.meta.url));
/** deploy/windows: the WiX source and the WinSW configuration. */
export const WINDOWS_DEPLOY_DIR = join(root, '..', 'deploy', 'windows');

/** CustomAction type bit msidbCustomActionTypeHideTarget: wixl 0.101 ignores HideTarget="yes", so it is set afterwards. */
const HIDE_TARGET = 0x2000;
/** Type of the Enroll action as wixl writes it: 18 (exe from an installed file) + deferred (0x400) + no impersonation (0x800). */
const ENROLL_TYPE = 18 + 0x400 + 0x800;

export interface MsiOptions {
  /** The signed Windows agent executable (dist/bin/patchfleet-agent-win-x64.exe). */
  exe: string;
  /** ProductVersion: X.Y.Z, X and Y at most 255, Z at most 65535 (Windows Installer's rule). */
  version: string;
  outDir: string;
  /** Where node-windows and the test certificate are cached (default agent/.cache). */
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** Checks an MSI ProductVersion (three numeric fields; Windows Installer ignores a fourth for upgrades, so none is allowed). */
export function checkMsiVersion(version: string): void {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,5})$/.exec(version);
  if (!m || Number(m[1]) > 255 || Number(m[2]) > 255 || Number(m[3]) > 65535) {
    throw new PfError(Errors.USAGE, `MSI version must be X.Y.Z with X, Y <= 255 and Z <= 65535, got ${JSON.stringify(version)}`);
  }
}

function run(cmd: string, args: string[], cwd?: string): void {
  try {
    execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer; message: string };
    if (e.code === 'ENOENT') throw new Error(`${cmd} not found: apt-get install -y wixl msitools osslsigncode`);
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
}

/** A hard link when `to` is on the same file system (the executable is 90 MiB), else a copy. */
function place(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** Builds and signs the MSI; returns its path (outDir/patchfleet-agent-<version>-x64.msi). */
export async function buildMsi(opts: MsiOptions): Promise<string> {
  checkMsiVersion(opts.version);
  if (!existsSync(opts.exe) || !statSync(opts.exe).isFile()) throw new PfError(Errors.USAGE, `agent executable ${opts.exe} not found (pnpm build makes it)`);
  const cacheDir = opts.cacheDir ?? join(root, '.cache');
  const signing: SigningMaterial = signingMaterial(cacheDir, opts.env);
  const wrapper = serviceWrapper(cacheDir);
  mkdirSync(opts.outDir, { recursive: true });
  const stage = join(opts.outDir, `.msi-stage-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage);
  const out = join(opts.outDir, `patchfleet-agent-${opts.version}-x64.msi`);
  const unsigned = join(stage, 'unsigned.msi');
  try {
    // wixl reads File/@Source relative to its working directory: the .wxs names these five.
    place(opts.exe, join(stage, 'patchfleet-agent.exe'));
    copyFileSync(wrapper.exe, join(stage, 'patchfleet-agent-service.exe'));
    copyFileSync(wrapper.exeConfig, join(stage, 'patchfleet-agent-service.exe.config'));
    copyFileSync(join(WINDOWS_DEPLOY_DIR, 'patchfleet-agent-service.xml'), join(stage, 'patchfleet-agent-service.xml'));
    copyFileSync(join(WINDOWS_DEPLOY_DIR, 'THIRD-PARTY-NOTICES.txt'), join(stage, 'THIRD-PARTY-NOTICES.txt'));
    copyFileSync(join(WINDOWS_DEPLOY_DIR, 'patchfleet-agent.wxs'), join(stage, 'patchfleet-agent.wxs'));
    run('wixl', ['-a', 'x64', '-D', `Version=${opts.version}`, '-o', unsigned, 'patchfleet-agent.wxs'], stage);
    run('msibuild', [unsigned, '-q', `UPDATE \`CustomAction\` SET \`Type\` = ${ENROLL_TYPE | HIDE_TARGET} WHERE \`Action\` = 'Enroll' AND \`Type\` = ${ENROLL_TYPE}`]);
    rmSync(out, { force: true });
    signExe(unsigned, out, signing);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    // `pnpm ... msi -- --version X` hands the script a leading `--`.
    const argv = process.argv.slice(2);
    if (argv[0] === '--') argv.shift();
    let values: { exe?: string; version?: string; out?: string };
    try {
      ({ values } = parseArgs({ args: argv, options: { exe: { type: 'string' }, version: { type: 'string' }, out: { type: 'string' } } }));
    } catch (err) {
      throw new PfError(Errors.USAGE, `${(err as Error).message}; usage: msi [--exe FILE] [--version X.Y.Z] [--out DIR]`);
    }
    const out = await buildMsi({
      exe: resolve(values.exe ?? join(root, 'dist', 'bin', 'patchfleet-agent-win-x64.exe')),
      version: values.version ?? AGENT_VERSION,
      outDir: resolve(values.out ?? join(root, 'dist', 'bin')),
    });
    process.stderr.write(`agent MSI: ${out} (${(statSync(out).size / 2 ** 20).toFixed(1)} MiB)\n`);
  } catch (err) {
    const e = err as { code?: string; message: string };
    process.stderr.write(`error${e.code?.startsWith('PF_ERR_') ? ` ${e.code}` : ''}: ${e.message}\n`);
    process.exit(1);
  }
}
