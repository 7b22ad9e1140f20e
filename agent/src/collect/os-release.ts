import { readOptionalText } from './optional-file';

/** The os-release fields the inventory uses. */
export interface OsRelease {
  /** `ID`, e.g. "ubuntu", "debian", "rhel"; "linux" when absent (the spec's default). */
  id: string;
  /** `ID_LIKE` split on spaces, e.g. ["rhel", "fedora"]. */
  idLike: string[];
  /** `PRETTY_NAME`, else `NAME`, else "Linux". */
  name: string;
  /** `VERSION_ID`, e.g. "24.04"; "" when absent (rolling releases). */
  version: string;
  /** `VERSION_CODENAME`, e.g. "noble"; absent on many rpm distributions. */
  codename?: string;
}

/**
 * Parses os-release(5) text: `KEY=value` lines, values optionally in single
 * or double quotes with shell-style backslash escapes, `#` comments.
 * Unparseable lines are skipped, as the spec asks of readers.
 */
export function parseOsRelease(text: string): OsRelease {
  const fields = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    fields.set(m[1]!, unquote(m[2]!));
  }
  const codename = fields.get('VERSION_CODENAME') || undefined;
  return {
    id: (fields.get('ID') || 'linux').toLowerCase(),
    idLike: (fields.get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean),
    name: fields.get('PRETTY_NAME') || fields.get('NAME') || 'Linux',
    version: fields.get('VERSION_ID') ?? '',
    ...(codename ? { codename } : {}),
  };
}

function unquote(value: string): string {
  const q = value[0];
  if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
    const inner = value.slice(1, -1);
    return q === '"' ? inner.replace(/\\([\\$"`])/g, '$1') : inner;
  }
  return value;
}

// The spec's search order: /etc first, /usr/lib as the vendor default.
const OS_RELEASE_PATHS = ['/etc/os-release', '/usr/lib/os-release'];

/**
 * Reads and parses the host's os-release file. With none, returns the
 * defaults os-release(5) prescribes (ID=linux, NAME=Linux).
 */
export async function readOsRelease(paths: readonly string[] = OS_RELEASE_PATHS): Promise<OsRelease> {
  for (const path of paths) {
    const text = await readOptionalText(path);
    if (text !== undefined) return parseOsRelease(text);
  }
  return parseOsRelease('');
}
