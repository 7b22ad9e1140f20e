/**
 * Windows build numbers (`10.0.26100.7171`: major.minor.build.revision) and
 * which builds are serviced together.
 */

/** A parsed Windows build; `revision` is the UBR, null when not given. */
export interface WindowsBuild {
  major: number;
  minor: number;
  build: number;
  revision: number | null;
}

const BUILD = /^(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?$/;

/**
 * Parses `10.0.26100` or `10.0.26100.7171`; null for anything else (MSRC
 * writes `1` or `1.000` for Internet Explorer updates, URLs for other products).
 */
export function parseWindowsBuild(text: string): WindowsBuild | null {
  const m = BUILD.exec(text.trim());
  if (m === null) return null;
  return { major: Number(m[1]), minor: Number(m[2]), build: Number(m[3]), revision: m[4] === undefined ? null : Number(m[4]) };
}

// Releases made by an enablement package share their base's servicing branch:
// one KB, one UBR sequence (26100.7171 and 26200.7171 are the same update).
// MSRC sometimes names the sibling's build (KB5074204 gives 10.0.26100.7392
// for 25H2, KB5066791 10.0.19043.x for Windows 10 21H2), so revisions are
// compared within the branch, not only within one build number.
const SERVICING_BASE: ReadonlyMap<number, number> = new Map([
  [19041, 19041], // Windows 10 2004
  [19042, 19041], // 20H2
  [19043, 19041], // 21H1
  [19044, 19041], // 21H2
  [19045, 19041], // 22H2
  [22621, 22621], // Windows 11 22H2
  [22631, 22621], // 23H2
  [26100, 26100], // Windows 11 24H2, Windows Server 2025
  [26200, 26100], // Windows 11 25H2
]);

/** The servicing branch of a build number: builds with the same branch share update revisions. */
export function servicingBranch(build: number): number {
  return SERVICING_BASE.get(build) ?? build;
}

/** True when both builds are on one servicing branch, so their revisions compare. */
export function sameServicingBranch(a: WindowsBuild, b: WindowsBuild): boolean {
  return a.major === b.major && a.minor === b.minor && servicingBranch(a.build) === servicingBranch(b.build);
}
