/**
 * Builds the agent's Debian package, patchfleet-agent_<version>_amd64.deb, from
 * the Linux single executable (pnpm build makes it; this script does not):
 *
 *   /usr/lib/patchfleet/patchfleet-agent          the executable (0755)
 *   /lib/systemd/system/patchfleet-agent.service  deploy/systemd/patchfleet-agent.service
 *   /etc/patchfleet/agent.env                     conffile, 0600 (it may hold a token)
 *   DEBIAN/postinst, prerm, postrm                deploy/deb/, with deploy/deb/common.sh pasted in
 *
 * /usr/lib/patchfleet rather than /opt/patchfleet: the files belong to dpkg,
 * which is what /usr is for (FHS: /opt is for software outside the package
 * manager), and the executable is an internal program run by the unit, not a
 * command for users, hence lib and not bin.
 *
 * dpkg-deb --root-owner-group makes every file root's without fakeroot. xz at
 * level 3 (dpkg-deb's default format, every dpkg since 2010 reads it): the
 * package is what a Linux host downloads, and the goal is <= 40 MB.
 * Measured on the ~121 MiB executable at load 10 on 2 cores: gzip -9 43.3 MB
 * (misses), xz -3 32.9 MB in 14 s, xz -6 29.7 MB in 39 s.
 *
 * CLI: pnpm --filter @patchfleet/agent deb [--exe FILE] [--version V] [--out-dir DIR]
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { AGENT_VERSION } from '../src/version';

const agentRoot = fileURLToPath(new URL('..', import.meta.url));
const deployDir = fileURLToPath(new URL('../../deploy/', import.meta.url));

/** The package's name. */
export const DEB_PACKAGE = 'patchfleet-agent';
/** Where the package puts the executable (the unit's ExecStart). */
export const DEB_EXE_PATH = '/usr/lib/patchfleet/patchfleet-agent';

export interface DebOptions {
  /** The Linux x64 single executable. */
  exe: string;
  /** Debian version, e.g. 0.1.0 or 0.2.0~rc1. */
  version: string;
  outDir: string;
}

/** Debian policy 5.6.12 without an epoch: starts with a digit; letters, digits and . + ~ - only. */
const VERSION_RE = /^[0-9][A-Za-z0-9.+~-]*$/;

/** The file name install-agent.sh downloads for `version`. */
export function debFileName(version: string): string {
  return `${DEB_PACKAGE}_${version}_amd64.deb`;
}

function isElf(path: string): boolean {
  const head = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  return head.toString('latin1') === '\x7fELF';
}

/** A maintainer script of deploy/deb with the shared part pasted in (dpkg runs each script alone). */
function maintainerScript(name: string): string {
  const common = readFileSync(join(deployDir, 'deb', 'common.sh'), 'utf8');
  const text = readFileSync(join(deployDir, 'deb', name), 'utf8');
  if (!text.includes('#COMMON#\n')) throw new Error(`deploy/deb/${name} lacks its #COMMON# line`);
  return text.replace('#COMMON#\n', common);
}

function controlFile(version: string, installedKiB: number): string {
  return [
    `Package: ${DEB_PACKAGE}`,
    `Version: ${version}`,
    'Architecture: amd64',
    'Maintainer: Patchfleet <patchfleet@example.org>',
    `Installed-Size: ${installedKiB}`,
    // The executable carries Node and the agent; it links only the C and C++ runtimes (Node 24 needs glibc 2.28).
    'Depends: libc6 (>= 2.28), libstdc++6, libgcc-s1',
    'Section: admin',
    'Priority: optional',
    'Homepage: https://github.com/patchfleet/patchfleet',
    'Description: Patchfleet agent: reports this host to the controller and applies its signed commands',
    ' Connects to a Patchfleet controller over TLS with a pinned certificate,',
    ' reports installed packages and health, and installs or rolls back patches',
    ' when the controller sends a signed command. A single executable (Node',
    ' runtime included) run by the systemd unit patchfleet-agent.service.',
    '',
  ].join('\n');
}

/** Builds the .deb into `outDir` and returns its path. Needs dpkg-deb. */
export async function buildDeb(opts: DebOptions): Promise<string> {
  if (!VERSION_RE.test(opts.version)) throw new PfError(Errors.BAD_VERSION, `version "${opts.version}" is not a Debian version (digits first; letters, digits and . + ~ - only)`);
  if (!existsSync(opts.exe) || !statSync(opts.exe).isFile()) throw new PfError(Errors.USAGE, `executable ${opts.exe} not found (pnpm build makes agent/dist/bin/patchfleet-agent-linux-x64)`);
  if (!isElf(opts.exe)) throw new PfError(Errors.USAGE, `${opts.exe} is not a Linux (ELF) executable`);

  const stage = mkdtempSync(join(tmpdir(), 'pf-deb-'));
  try {
    const put = (rel: string, mode: number, from: { file?: string; text?: string }): void => {
      const dest = join(stage, rel);
      mkdirSync(join(dest, '..'), { recursive: true, mode: 0o755 });
      if (from.file) copyFileSync(from.file, dest);
      else writeFileSync(dest, from.text ?? '');
      chmodSync(dest, mode);
    };
    put(DEB_EXE_PATH.slice(1), 0o755, { file: opts.exe });
    put('lib/systemd/system/patchfleet-agent.service', 0o644, { file: join(deployDir, 'systemd', 'patchfleet-agent.service') });
    put('etc/patchfleet/agent.env', 0o600, { file: join(deployDir, 'deb', 'agent.env') });
    const installedKiB = Math.ceil((statSync(opts.exe).size + 16 * 1024) / 1024);
    put('DEBIAN/control', 0o644, { text: controlFile(opts.version, installedKiB) });
    put('DEBIAN/conffiles', 0o644, { text: '/etc/patchfleet/agent.env\n' });
    for (const name of ['postinst', 'prerm', 'postrm']) put(`DEBIAN/${name}`, 0o755, { text: maintainerScript(name) });
    // mkdtemp made the stage 0700; the package's / must not say so.
    chmodSync(stage, 0o755);

    mkdirSync(opts.outDir, { recursive: true });
    const out = join(opts.outDir, debFileName(opts.version));
    try {
      await promisify(execFile)('dpkg-deb', ['--root-owner-group', '-Zxz', '-z3', '--build', stage, out]);
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? '';
      throw new PfError(Errors.INTERNAL, `dpkg-deb --build failed: ${stderr || (err as Error).message}`);
    }
    return out;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      exe: { type: 'string', default: join(agentRoot, 'dist', 'bin', 'patchfleet-agent-linux-x64') },
      version: { type: 'string', default: AGENT_VERSION },
      'out-dir': { type: 'string', default: join(agentRoot, 'dist', 'deb') },
    },
  });
  try {
    const deb = await buildDeb({ exe: values.exe, version: values.version, outDir: values['out-dir'] });
    const sha256 = createHash('sha256').update(readFileSync(deb)).digest('hex');
    process.stdout.write(`${deb}\nsha256 ${sha256}\n`);
  } catch (err) {
    process.stderr.write(`error ${(err as PfError).code ?? ''}: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
