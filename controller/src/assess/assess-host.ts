/**
 * One host against the catalog: which advisories it misses, which apply and
 * are installed, and how urgent each missing one is. The single code path
 * behind `patchfleet assess`, the controller's per-host state and
 * `bench:assess`.
 */
import type { HostFacts } from '@patchfleet/shared';
import { assessUbuntu, assessWindows, prepareUbuntuIndex, prepareWindowsIndex, type UbuntuIndex, type UbuntuInstalledPackage, type WindowsHost, type WindowsIndex } from '../catalog/applicability/index';
import type { Catalog, CveInfo } from '../catalog/model';
import type { HostRisk } from '../scoring/host-risk';
import { PriorityMemo, type Priority } from '../scoring/priority';
import type { SlaConfig } from '../scoring/sla';

/** A catalog with its applicability indexes built once, and the priorities scored so far. */
export interface PreparedCatalog {
  catalog: Catalog;
  ubuntu: UbuntuIndex;
  windows: WindowsIndex;
  priorities: PriorityMemo;
}

export function prepareCatalog(catalog: Catalog): PreparedCatalog {
  return { catalog, ubuntu: prepareUbuntuIndex(catalog), windows: prepareWindowsIndex(catalog), priorities: new PriorityMemo((id) => cveInfo(id, catalog)) };
}

export type HostInput =
  | { kind: 'ubuntu'; release: string; packages: readonly UbuntuInstalledPackage[] }
  | { kind: 'windows'; host: WindowsHost }
  | { kind: 'unsupported'; reason: string };

export interface MissingPatch {
  id: string;
  kind: 'usn' | 'kb';
  title: string;
  cves: string[];
  /** Ubuntu: the installed packages below the fix. */
  packages?: { name: string; installed: string; fixed: string }[];
  requires?: 'ubuntu-pro';
  /** Windows: KBs this one makes unnecessary, restart, hotpatch. */
  covers?: string[];
  restartRequired?: 'yes' | 'no' | 'maybe' | null;
  hotpatch?: boolean;
  releasedAt: string | null;
  priority: Priority;
}

export interface HostAssessment {
  missing: MissingPatch[];
  installed: string[];
  summary: {
    platform: 'ubuntu' | 'windows' | 'unsupported';
    missing: number;
    installed: number;
    byTier: Record<Priority['tier'], number>;
    requiresPro: number;
    overdue: number;
    cves: number;
    note?: string;
  };
}

/** Second Tuesday of a `YYYY-MM` month: Microsoft's release day for that month's updates. */
export function patchTuesday(month: string): string | null {
  let day = patchTuesdays.get(month);
  if (day === undefined) {
    day = computePatchTuesday(month);
    if (patchTuesdays.size >= PATCH_TUESDAYS_KEPT) patchTuesdays.clear();
    patchTuesdays.set(month, day);
  }
  return day;
}

/** Months kept: a catalog names a few dozen; anything else (bad input) cannot grow the memo further. */
const PATCH_TUESDAYS_KEPT = 1024;
const patchTuesdays = new Map<string, string | null>();

function computePatchTuesday(month: string): string | null {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return null;
  const first = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  const offset = (2 - first.getUTCDay() + 7) % 7; // days to the first Tuesday
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1 + offset + 7, 17)).toISOString();
}

/** What the catalog knows of a CVE; one it does not know scores as unknown. */
function cveInfo(id: string, catalog: Catalog): CveInfo {
  return catalog.cves.get(id) ?? { id, cvssScore: null, cvssVector: null, severity: null, exploited: null, publiclyDisclosed: null, epss: null, kev: null };
}

/**
 * CVEs of all findings, counted once each. A finding's list holds each CVE
 * once (assessUbuntu and assessWindows de-duplicate them), so one finding
 * needs no set; a cumulative update lists hundreds.
 */
function distinctCves(missing: readonly MissingPatch[]): number {
  if (missing.length === 0) return 0;
  if (missing.length === 1) return missing[0]!.cves.length;
  const seen = new Set<string>();
  for (const m of missing) for (const cve of m.cves) seen.add(cve);
  return seen.size;
}

/** Maps what an agent reports (or what `assess` was given) to applicability input. */
export function hostInputFromInventory(facts: Pick<HostFacts, 'os'> & { windows?: unknown }, packages: readonly { manager: string; name: string; version: string; sourceName: string; sourceVersion: string; arch: string }[]): HostInput {
  if (facts.os.id === 'ubuntu') {
    return { kind: 'ubuntu', release: facts.os.version, packages: packages.filter((p) => p.manager === 'dpkg') };
  }
  if (facts.os.platform === 'windows') {
    const win = (facts.windows ?? {}) as { installationType?: string | null; hotpatchEnrolled?: boolean | null };
    return {
      kind: 'windows',
      host: {
        build: facts.os.version,
        ubr: facts.os.ubr ?? null,
        installationType: win.installationType ?? null,
        arch: facts.os.arch,
        hotfixes: packages.filter((p) => p.manager === 'windows').map((p) => p.name),
        hotpatchEnrolled: win.hotpatchEnrolled ?? null,
      },
    };
  }
  return { kind: 'unsupported', reason: `no advisory feed covers ${facts.os.id || facts.os.platform} ${facts.os.version}`.trim() };
}

export function assessHost(input: HostInput, prepared: PreparedCatalog, opts: { now: number; risk: HostRisk; sla?: SlaConfig }): HostAssessment {
  const { priorities } = prepared;
  // No closure for scoring: one made per call costs more than the call (and tsx names each one).
  let overdue = 0;
  const missing: MissingPatch[] = [];
  let installed: string[] = [];
  let note: string | undefined;
  if (input.kind === 'ubuntu') {
    const result = assessUbuntu({ release: input.release, packages: input.packages }, prepared.ubuntu);
    installed = result.installed;
    // Loops that push rather than `map`: arrays built one way keep one representation however
    // far the code is optimised, so the code reading them is not thrown away for a new one.
    for (const f of result.missing) {
      const packages: { name: string; installed: string; fixed: string }[] = [];
      for (const p of f.packages) packages.push({ name: p.name, installed: p.installed, fixed: p.fixed });
      const releasedAt = f.published || null;
      const scored = priorities.score(f.cves, opts.risk, releasedAt, opts.now, opts.sla);
      // As stored: `Date.parse(dueBy)`, compared with the time of assessment.
      if (scored.dueByMs < opts.now) overdue += 1;
      const priority = scored.priority;
      // Two literals rather than a spread of the optional field: one shape each, same key order as ever.
      missing.push(
        f.requires
          ? { id: f.id, kind: 'usn', title: f.title, cves: f.cves, packages, requires: f.requires, releasedAt, priority }
          : { id: f.id, kind: 'usn', title: f.title, cves: f.cves, packages, releasedAt, priority },
      );
    }
  } else if (input.kind === 'windows') {
    const result = assessWindows(input.host, prepared.windows);
    installed = result.installed;
    if (result.products.length === 0) note = `no Windows product known for build ${input.host.build} (${input.host.installationType ?? 'unknown type'})`;
    for (const f of result.missing) {
      const releasedAt = f.month ? patchTuesday(f.month) : null;
      const scored = priorities.score(f.cves, opts.risk, releasedAt, opts.now, opts.sla);
      // As stored: `Date.parse(dueBy)`, compared with the time of assessment.
      if (scored.dueByMs < opts.now) overdue += 1;
      const priority = scored.priority;
      missing.push({ id: f.id, kind: 'kb', title: f.title ?? f.id, cves: f.cves, covers: f.covers, restartRequired: f.restartRequired, hotpatch: f.hotpatch, releasedAt, priority });
    }
  } else {
    note = input.reason;
  }
  // Nothing to order in fewer than two (and no empty array met by the inlined sort).
  if (missing.length > 1) missing.sort((a, b) => b.priority.score - a.priority.score || a.priority.dueBy.localeCompare(b.priority.dueBy) || a.id.localeCompare(b.id));
  const byTier = { critical: 0, high: 0, medium: 0, low: 0 };
  let requiresPro = 0;
  for (const m of missing) {
    byTier[m.priority.tier] += 1;
    if (m.requires === 'ubuntu-pro') requiresPro += 1;
  }
  return {
    missing,
    installed,
    summary: {
      platform: input.kind,
      missing: missing.length,
      installed: installed.length,
      byTier,
      requiresPro,
      overdue,
      cves: distinctCves(missing),
      ...(note ? { note } : {}),
    },
  };
}
