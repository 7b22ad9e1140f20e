/**
 * Parser of `dism.exe /Online /Get-Packages /Format:Table` and the choice of
 * the latest cumulative update (LCU) package to remove for a KB that
 * wusa.exe cannot uninstall.
 */
import { Errors, PfError } from '@patchfleet/shared/errors';

/** Package state, from DISM's localized State column. */
export type PackageState =
  | 'installed'
  | 'install-pending'
  | 'uninstall-pending'
  | 'staged'
  | 'superseded'
  | 'not-present'
  | 'removed'
  | 'partially-installed'
  | 'unknown';

/**
 * State words per display language. English is what `/English` prints; the
 * German words are DISM's de-DE resources as far as known (see
 * fixtures/README.md): a state not listed becomes `unknown` and is never
 * taken for installed.
 */
const STATE_WORDS: Readonly<Record<string, PackageState>> = {
  installed: 'installed',
  'install pending': 'install-pending',
  'uninstall pending': 'uninstall-pending',
  staged: 'staged',
  superseded: 'superseded',
  'not present': 'not-present',
  removed: 'removed',
  resolved: 'removed',
  'partially installed': 'partially-installed',
  installiert: 'installed',
  'installation ausstehend': 'install-pending',
  'deinstallation ausstehend': 'uninstall-pending',
  bereitgestellt: 'staged',
  ersetzt: 'superseded',
  'nicht vorhanden': 'not-present',
  entfernt: 'removed',
  'teilweise installiert': 'partially-installed',
};

/** One row of the package table. */
export interface DismPackage {
  /** Package identity, `Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.4946.1.10`. */
  name: string;
  state: PackageState;
  /** The State cell as printed (localized). */
  stateText: string;
  /** Release Type cell as printed (`Security Update`, `Sicherheitsupdate`...). */
  releaseType: string;
  /** Install Time cell as printed, in the host's date format; not parsed. */
  installTime: string;
}

// A separator line: runs of dashes joined by " | ".
const SEPARATOR_RE = /^\s*-{3,}(?:\s*\|\s*-{3,})+\s*$/;

/**
 * Rows of DISM's package table, in any display language. The columns are
 * found by position (identity, state, release type, install time), not by
 * their localized headers. DISM frames the header with separator lines of
 * dashes; a header with only the separator under it is read too. Rows run up
 * to the first line without a `|`. Throws PF_ERR_BAD_INPUT when there is no
 * table (DISM failed, or /Format:List was used).
 */
export function parseDismPackageTable(text: string): DismPackage[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const first = lines.findIndex((l) => SEPARATOR_RE.test(l));
  if (first < 0) {
    throw new PfError(Errors.BAD_INPUT, 'DISM package listing: no package table found (expected /Get-Packages /Format:Table output)');
  }
  const framed = SEPARATOR_RE.test(lines[first + 2] ?? '');
  const header = lines[framed ? first + 1 : first - 1] ?? '';
  const start = framed ? first + 3 : first + 1;
  const columns = header.split('|').length;
  if (columns < 2) throw new PfError(Errors.BAD_INPUT, 'DISM package listing: table header has no columns');
  const out: DismPackage[] = [];
  for (let i = start; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line.includes('|')) break;
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length !== columns || !cells[0]) {
      throw new PfError(Errors.BAD_INPUT, `DISM package listing: line ${i + 1} has ${cells.length} cells, the header ${columns}`, { line: i + 1 });
    }
    const stateText = cells[1] ?? '';
    out.push({
      name: cells[0],
      state: STATE_WORDS[stateText.toLowerCase()] ?? 'unknown',
      stateText,
      releaseType: cells[2] ?? '',
      installTime: cells[3] ?? '',
    });
  }
  return out;
}

/** Parts of a CBS package identity `name~publicKeyToken~arch~language~version`. */
export interface PackageIdentity {
  family: string;
  publicKeyToken: string;
  arch: string;
  language: string;
  version: string;
}

/** Splits a package identity; undefined when it does not have the five `~` parts. */
export function parsePackageIdentity(name: string): PackageIdentity | undefined {
  const parts = name.split('~');
  if (parts.length !== 5) return undefined;
  const [family, publicKeyToken, arch, language, version] = parts as [string, string, string, string, string];
  return { family, publicKeyToken, arch, language, version };
}

/** The family name of latest cumulative update packages. */
export const ROLLUP_FAMILY = 'Package_for_RollupFix';

// An OS build as Microsoft lists it per KB: major build . revision (UBR).
const BUILD_RE = /^(\d{4,5})\.(\d{1,5})$/;

/** Throws PF_ERR_BAD_INPUT unless `build` looks like `26100.4946`. */
export function assertBuild(build: string): void {
  if (typeof build !== 'string' || !BUILD_RE.test(build)) {
    throw new PfError(Errors.BAD_INPUT, `invalid OS build ${JSON.stringify(build).slice(0, 50)} (expected build.revision, e.g. 26100.4946)`);
  }
}

/**
 * The installed LCU package that brings OS build `build` (`26100.4946`):
 * `Package_for_RollupFix~...~26100.4946.x.y`. This is the package to remove
 * for a KB shipped as a combined SSU+LCU package, which wusa cannot remove.
 * Only Installed packages count (a Superseded or Staged one of the same
 * build is not what runs). Undefined when none matches. Two matches would be
 * the same build twice (a re-release); the highest version wins.
 */
export function pickRollupPackage(packages: readonly DismPackage[], build: string): DismPackage | undefined {
  assertBuild(build);
  const candidates = packages.filter((p) => {
    const id = parsePackageIdentity(p.name);
    return p.state === 'installed' && id !== undefined && id.family.toLowerCase() === ROLLUP_FAMILY.toLowerCase() && id.version.startsWith(`${build}.`);
  });
  return candidates.sort((a, b) => compareVersions(parsePackageIdentity(b.name)?.version ?? '', parsePackageIdentity(a.name)?.version ?? ''))[0];
}

function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
