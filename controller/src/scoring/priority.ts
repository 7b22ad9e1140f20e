/**
 * Priority: how urgent it is to install one advisory on one host.
 *
 * The model, in three steps (numbers in cve-threat.ts and below):
 * 1. Each CVE the advisory fixes gets 0-100 threat points from severity
 *    (CVSS x 7, at most 70) and likelihood of exploitation (EPSS up to 30;
 *    known exploitation, KEV or Microsoft's flag, the full 30 and a floor of
 *    75; ransomware use +5 and a floor of 85).
 * 2. The host weighs it: criticality multiplies (low 0.85, medium 1, high
 *    1.1, critical 1.2), because the same flaw costs more on a domain
 *    controller than on a kiosk; an internet-facing host adds 12 points when
 *    the CVE is network-exploitable (or its vector is unknown) and 4 when it
 *    needs local or adjacent access, because exposure changes who can reach
 *    the flaw, not how bad it is.
 * 3. The advisory takes the score of its most urgent CVE (one exploitable
 *    flaw is enough to get in; many mild ones do not add up to a severe one).
 *    Tiers: critical from 80, high from 60, medium from 30, low below. So a
 *    CVSS 9.8 nobody exploits is high (69); on an exposed host it becomes
 *    critical (81). A KEV entry scores at least 75: high on an ordinary
 *    internal host, critical on a high- or critical-criticality host and on
 *    an internet-facing one when the flaw is network-exploitable.
 *
 * Every input only ever raises the score: adding KEV, a higher CVSS or EPSS,
 * internet exposure or a higher criticality never lowers it (tests check it).
 */
import type { CveInfo } from '../catalog/model';
import { cveThreat, type CveThreat } from './cve-threat';
import { isoDay, priorityDeadline } from './deadline';
import type { Criticality, HostRisk } from './host-risk';
import { DEFAULT_SLA, type SlaConfig, type Tier } from './sla';

/** Multiplier of threat points by host criticality. */
export const CRITICALITY_FACTOR: Readonly<Record<Criticality, number>> = Object.freeze({ low: 0.85, medium: 1, high: 1.1, critical: 1.2 });

/** Points an internet-facing host adds: for network-exploitable CVEs, and for the rest. */
export const EXPOSURE_POINTS = Object.freeze({ network: 12, local: 4 });

/** Lowest score of each tier; below `medium` is low. */
export const TIER_THRESHOLDS = Object.freeze({ critical: 80, high: 60, medium: 30 });

// Reasons name at most this many KEV CVEs one by one; more would drown the rest.
const MAX_KEV_REASONS = 3;

export interface PriorityInput {
  /** Every CVE the advisory fixes, as the catalog knows them. */
  cves: readonly CveInfo[];
  host: HostRisk;
  /** When the advisory was published (ISO); the SLA counts from it. Null or absent: from `now`. */
  releasedAt?: string | null;
  /** The injected clock's time, ms since the epoch. */
  now: number;
  /** Days per tier; DEFAULT_SLA when absent. */
  sla?: SlaConfig;
}

export interface Priority {
  /** 0-100, integer. */
  score: number;
  tier: Tier;
  /** ISO 8601 instant by which the advisory should be installed. */
  dueBy: string;
  /** Why, in words, most important first. */
  reasons: string[];
}

/** Scores one advisory for one host; see the model above. */
export function scorePriority(input: PriorityInput): Priority {
  const scored = scoreBeforeNow(input);
  if (scored.dueMs < input.now) scored.priority.reasons.push(overdueReason(scored.dueMs));
  return scored.priority;
}

/**
 * Everything of `scorePriority` but the one reason that compares the deadline
 * with `now` (the deadline itself depends on `now` only when the release date
 * is unknown). `dueMs` is the deadline before rounding to the millisecond,
 * as the overdue check compares it.
 */
function scoreBeforeNow(input: PriorityInput): { priority: Priority; dueMs: number } {
  const { host, now } = input;
  const sla = input.sla ?? DEFAULT_SLA;
  const threats = input.cves.map(cveThreat);
  const scored = threats.map((t) => ({ threat: t, score: hostScore(t, host) }));
  scored.sort((a, b) => b.score - a.score || Number(b.threat.exploited) - Number(a.threat.exploited) || b.threat.cvss - a.threat.cvss || a.threat.cve.id.localeCompare(b.threat.cve.id));
  const top = scored[0];
  const score = top === undefined ? assumedScore(host) : Math.round(top.score);
  const tier = tierOf(score);
  const deadline = priorityDeadline(tier, input.cves, input.releasedAt, now, sla);

  const reasons: string[] = [];
  reasons.push(...exploitationReasons(threats));
  if (top === undefined) {
    reasons.push('no CVEs listed: severity counted as medium');
  } else {
    if (scored.length > 1) reasons.push(`${top.threat.cve.id} is the most urgent of ${scored.length} CVEs`);
    reasons.push(...driverReasons(top.threat));
    const maxCvss = threats.filter((t) => t.severitySource === 'cvss').sort((a, b) => b.cvss - a.cvss)[0];
    if (maxCvss !== undefined && maxCvss !== top.threat && maxCvss.cvss > top.threat.cvss) {
      reasons.push(`highest CVSS is ${formatCvss(maxCvss.cvss)} (${maxCvss.cve.id})`);
    }
    if (host.internetFacing) {
      reasons.push(
        top.threat.network
          ? `host is internet-facing and ${top.threat.cve.id} is ${top.threat.cve.cvssVector === null ? 'assumed ' : ''}network-exploitable`
          : `host is internet-facing (${top.threat.cve.id} needs local or adjacent access, so it counts less)`,
      );
    }
  }
  reasons.push(`host criticality ${host.criticality}`);
  reasons.push(`score ${score}: ${tier} tier (${tierRange(tier)})`);
  reasons.push(deadline.reason);
  return { priority: { score, tier, dueBy: deadline.dueBy, reasons }, dueMs: deadline.dueMs };
}

function overdueReason(dueMs: number): string {
  return `overdue since ${isoDay(dueMs)}`;
}

/** One memo entry: a priority without the overdue reason, and what the overdue check needs. */
interface MemoEntry {
  /** The CVE ids it was scored for (a copy). */
  cveIds: readonly string[];
  score: number;
  tier: Tier;
  dueBy: string;
  reasons: readonly string[];
  /** The deadline as `scorePriority` compares it with `now`. */
  dueMs: number;
  /** `Date.parse(dueBy)`: the deadline as stored, whole milliseconds. */
  dueByMs: number;
  overdue: string;
}

/** Entries kept: distinct (CVE list, release date, host risk, SLA) combinations; a catalog gives far fewer. */
const PRIORITIES_KEPT = 20_000;
/** Entries under one key (same release date or time, same first CVE): more means the key is poor, not the lists many. */
const ENTRIES_PER_KEY = 16;

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The entries of one host risk and SLA: by release date (or, when unknown, by `now`), then by first CVE id. */
interface MemoContext {
  criticality: Criticality;
  internetFacing: boolean;
  sla: { critical: number; high: number; medium: number; low: number };
  byRelease: Map<string, Map<string, MemoEntry[]>>;
  byNow: Map<number, Map<string, MemoEntry[]>>;
}

/**
 * Memo of `scorePriority` for one catalog: hosts of a fleet miss the same
 * advisories with the same CVEs, so each combination is scored once.
 *
 * Answers equal `scorePriority`'s: an entry is used only for the same CVE
 * ids in the same order (compared one by one), the same release date or,
 * when it is unknown, the same `now`, the same criticality and exposure and
 * the same SLA (compared field by field), which is everything the score, the
 * deadline and the reasons depend on; the one reason that otherwise depends
 * on `now` (overdue) is added per call. Entries are found through maps keyed
 * by the release date (or `now`) and the first CVE id, strings the catalog
 * hands over as the same objects each time, so a lookup builds no key text.
 * The CVE facts come from `cveInfo`, which must give the same answer for an
 * id as long as the memo lives (a catalog is immutable: one memo per
 * catalog). Bounded: emptied when full.
 */
export class PriorityMemo {
  private contexts: MemoContext[] = [];
  private size = 0;

  constructor(
    private readonly cveInfo: (id: string) => CveInfo,
    private readonly limit = PRIORITIES_KEPT,
  ) {}

  /** `scorePriority` of the advisory's CVEs (by id); `dueByMs` is `Date.parse(priority.dueBy)`. */
  score(cveIds: readonly string[], host: HostRisk, releasedAt: string | null, now: number, sla: SlaConfig = DEFAULT_SLA): { priority: Priority; dueByMs: number } {
    const context = this.contextOf(host, sla);
    const first = cveIds.length === 0 ? '' : cveIds[0]!;
    let byFirst: Map<string, MemoEntry[]> | undefined = releasedAt === null ? context.byNow.get(now) : context.byRelease.get(releasedAt);
    let bucket = byFirst?.get(first);
    let entry: MemoEntry | undefined;
    if (bucket !== undefined)
      for (const e of bucket)
        if (sameIds(e.cveIds, cveIds)) {
          entry = e;
          break;
        }
    if (entry === undefined) {
      const { priority, dueMs } = scoreBeforeNow({ cves: cveIds.map(this.cveInfo), host, releasedAt, now, sla });
      entry = { cveIds: cveIds.slice(), ...priority, dueMs, dueByMs: Date.parse(priority.dueBy), overdue: overdueReason(dueMs) };
      if (this.size >= this.limit) {
        for (const c of this.contexts) {
          c.byRelease.clear();
          c.byNow.clear();
        }
        this.size = 0;
        byFirst = undefined;
        bucket = undefined;
      }
      if (byFirst === undefined) {
        byFirst = new Map();
        if (releasedAt === null) context.byNow.set(now, byFirst);
        else context.byRelease.set(releasedAt, byFirst);
      }
      if (bucket === undefined) byFirst.set(first, (bucket = []));
      if (bucket.length >= ENTRIES_PER_KEY) {
        bucket.shift();
        this.size--;
      }
      bucket.push(entry);
      this.size++;
    }
    const reasons = entry.reasons.slice();
    if (entry.dueMs < now) reasons.push(entry.overdue);
    return { priority: { score: entry.score, tier: entry.tier, dueBy: entry.dueBy, reasons }, dueByMs: entry.dueByMs };
  }

  /** The entries for this host risk and SLA: their values compared, so callers may pass fresh objects or change theirs. */
  private contextOf(host: HostRisk, sla: SlaConfig): MemoContext {
    const internetFacing = Boolean(host.internetFacing);
    for (const c of this.contexts) {
      if (c.criticality === host.criticality && c.internetFacing === internetFacing && sameSla(c.sla, sla)) return c;
    }
    // Distinct risks times SLAs are few; a caller cycling through endless SLAs starts over.
    if (this.contexts.length >= CONTEXTS_KEPT) {
      this.contexts = [];
      this.size = 0;
    }
    const context: MemoContext = {
      criticality: host.criticality,
      internetFacing,
      sla: { critical: sla.critical, high: sla.high, medium: sla.medium, low: sla.low },
      byRelease: new Map(),
      byNow: new Map(),
    };
    this.contexts.push(context);
    return context;
  }
}

/** Host risks and SLAs kept apart: 4 criticalities x 2 exposures x a few SLAs. */
const CONTEXTS_KEPT = 64;

/** Same days per tier; NaN days (which no SLA should hold) never match, so they are scored afresh. */
function sameSla(a: MemoContext['sla'], b: SlaConfig): boolean {
  return a.critical === b.critical && a.high === b.high && a.medium === b.medium && a.low === b.low;
}

/** Tier of a 0-100 score. */
export function tierOf(score: number): Tier {
  if (score >= TIER_THRESHOLDS.critical) return 'critical';
  if (score >= TIER_THRESHOLDS.high) return 'high';
  if (score >= TIER_THRESHOLDS.medium) return 'medium';
  return 'low';
}

function hostScore(t: CveThreat, host: HostRisk): number {
  const exposure = host.internetFacing ? (t.network ? EXPOSURE_POINTS.network : EXPOSURE_POINTS.local) : 0;
  return Math.min(100, Math.max(0, t.points * CRITICALITY_FACTOR[host.criticality] + exposure));
}

// An advisory without CVEs (rare: a USN for a regression) is scored as one
// unknown medium-severity CVE would be.
function assumedScore(host: HostRisk): number {
  const unknown: CveInfo = { id: '', cvssScore: null, cvssVector: null, severity: null, exploited: null, publiclyDisclosed: null, epss: null, kev: null };
  return Math.round(hostScore(cveThreat(unknown), host));
}

function exploitationReasons(threats: readonly CveThreat[]): string[] {
  const reasons: string[] = [];
  const kev = threats
    .filter((t) => t.cve.kev !== null)
    .sort((a, b) => a.cve.kev!.dueDate.localeCompare(b.cve.kev!.dueDate) || a.cve.id.localeCompare(b.cve.id));
  for (const t of kev.slice(0, MAX_KEV_REASONS)) {
    const k = t.cve.kev!;
    reasons.push(`${t.cve.id} is in CISA KEV (added ${k.dateAdded}, due ${k.dueDate})${k.ransomware ? ', known to be used in ransomware campaigns' : ''}`);
  }
  if (kev.length > MAX_KEV_REASONS) reasons.push(`${kev.length - MAX_KEV_REASONS} more CVEs of this advisory are in CISA KEV`);
  for (const t of threats) {
    if (t.cve.kev === null && t.cve.exploited === true) reasons.push(`${t.cve.id} is exploited in the wild according to the vendor`);
  }
  return reasons;
}

function driverReasons(t: CveThreat): string[] {
  const reasons: string[] = [];
  const { cve } = t;
  if (cve.epss !== null) {
    reasons.push(`EPSS ${formatProbability(cve.epss.score)} (${percentileText(cve.epss.percentile)}) for ${cve.id}`);
  } else if (!t.exploited) {
    reasons.push(`no EPSS score for ${cve.id}`);
  }
  if (cve.publiclyDisclosed === true && !t.exploited) reasons.push(`${cve.id} was publicly disclosed`);
  if (t.severitySource === 'cvss') reasons.push(`CVSS ${formatCvss(t.cvss)} (${cve.id})`);
  else if (t.severitySource === 'vendor') reasons.push(`no CVSS for ${cve.id}: vendor severity ${cve.severity!.trim()} counted as CVSS ${formatCvss(t.cvss)}`);
  else reasons.push(`no CVSS or vendor severity for ${cve.id}: counted as medium (CVSS ${formatCvss(t.cvss)})`);
  return reasons;
}

function tierRange(tier: Tier): string {
  switch (tier) {
    case 'critical':
      return `${TIER_THRESHOLDS.critical} and above`;
    case 'high':
      return `${TIER_THRESHOLDS.high}-${TIER_THRESHOLDS.critical - 1}`;
    case 'medium':
      return `${TIER_THRESHOLDS.medium}-${TIER_THRESHOLDS.high - 1}`;
    case 'low':
      return `below ${TIER_THRESHOLDS.medium}`;
  }
}

function formatCvss(cvss: number): string {
  return cvss.toFixed(1);
}

// Two decimals read well from 1% up; smaller probabilities keep two significant digits.
function formatProbability(p: number): string {
  return p >= 0.01 ? p.toFixed(2) : String(Number(p.toPrecision(2)));
}

function percentileText(percentile: number): string {
  const n = Math.floor(percentile * 100);
  return n === 0 ? 'bottom percentile' : `${ordinal(n)} percentile`;
}

function ordinal(n: number): string {
  const mod100 = n % 100;
  if (mod100 >= 11 && mod100 <= 13) return `${n}th`;
  const suffix = ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
}
