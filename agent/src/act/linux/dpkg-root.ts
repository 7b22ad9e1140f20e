/**
 * Creates isolated dpkg roots: directories that apt and dpkg treat as a whole
 * system (`dpkg --root`), so that several agents on one machine can each patch
 * their own "host" without touching the machine's packages or locks.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { normaliseDpkgRoot } from '../../collect/dpkg-root-path';

// dpkg's database layout, apt's per-host state (see dpkgRootAptOptions), the
// reboot flag's directory and debconf's database (dpkg-preconfigure under DPKG_ROOT).
const DIRS = [
  'var/lib/dpkg/info',
  'var/lib/dpkg/updates',
  'var/lib/dpkg/triggers',
  'var/lib/dpkg/alternatives',
  'var/lib/apt/lists/partial',
  'var/cache/apt/archives/partial',
  'var/cache/debconf',
  'var/log/apt',
  'var/run',
  'etc',
  'tmp',
];

// dpkg refuses to start without a status file; `available` is read by some of its queries.
const EMPTY_FILES = ['var/lib/dpkg/status', 'var/lib/dpkg/available'];

// With DPKG_ROOT set, debconf reads <root>/etc/debconf.conf and prefixes the
// database file names below with the root; without this file it dies with
// "No config file found" on every apt run.
const DEBCONF_CONF = `Config: configdb
Templates: templatedb

Name: configdb
Driver: File
Mode: 644
Filename: /var/cache/debconf/config.dat

Name: templatedb
Driver: File
Mode: 644
Filename: /var/cache/debconf/templates.dat
`;

/**
 * Makes `root` an empty but valid dpkg root: an empty package database, the
 * directories apt needs for its lists and cache there, `var/run` for the
 * reboot flag and a debconf configuration. Idempotent: existing files,
 * including an installed package database, are left as they are. Returns the
 * normalised root. Throws PF_ERR_BAD_INPUT for a relative root.
 */
export async function initDpkgRoot(root: string): Promise<string> {
  const r = normaliseDpkgRoot(root);
  for (const d of DIRS) await mkdir(posix.join(r, d), { recursive: true });
  for (const f of EMPTY_FILES) await createIfMissing(posix.join(r, f), '');
  await createIfMissing(posix.join(r, 'etc/debconf.conf'), DEBCONF_CONF);
  return r;
}

/** Writes `content` to a new file; an existing one (an earlier init's, or a used database) is kept. */
async function createIfMissing(path: string, content: string): Promise<void> {
  try {
    await writeFile(path, content, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
