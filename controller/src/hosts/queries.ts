/**
 * Read side of hosts: search, paging, the detail view, existence checks, and
 * the one definition of "online" (used by the API and the rollout planner).
 *
 * Tables written elsewhere but read here: `hosts` (written by enrollment/ and
 * inventory/), `host_sessions` (gateway/handshake-store.ts), `installed_packages`
 * (inventory/).
 */
import { and, asc, count, desc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import { hostSessions, hosts, installedPackages } from '../db/schema/index';
import type { Db, Tx } from '../db/index';
import { idIn } from '../commands/command-store';

export interface HostSummary {
  id: string;
  hostname: string;
  os: { platform: string; id: string; name: string; version: string; kernel: string; arch: string };
  hardware: { vendor: string; model: string; serial: string };
  addresses: string[];
  /** Users logged in at the last inventory. */
  users: string[];
  labels: Record<string, string>;
  status: string;
  packageCount: number;
  enrolledAt: string;
  lastSeenAt: string | null;
  lastReportAt: string | null;
  online: boolean;
}

/** Escapes LIKE wildcards so a search for "a_b" does not match "axb". */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** How long a session may go unseen and still count as online: three missed heartbeats. */
export function onlineStaleMs(heartbeatSec: number): number {
  return heartbeatSec * 3 * 1000;
}

/**
 * The one definition of "host is online": it has an open session that was
 * seen within `staleMs` of `now`. A boolean SQL expression over `hosts.id`.
 */
export function onlineExpr(now: Date, staleMs: number): SQL<boolean> {
  const since = new Date(now.getTime() - staleMs).toISOString();
  // Written with explicit table names: drizzle leaves single-table columns unqualified, which a correlated subquery would misread.
  return sql<boolean>`exists (select 1 from host_sessions s where s.host_id = hosts.id and s.disconnected_at is null and s.last_seen_at > ${since}::timestamptz)`;
}

const summaryColumns = (now: Date, staleMs: number) => ({
  id: hosts.id,
  hostname: hosts.hostname,
  osPlatform: hosts.osPlatform,
  osId: hosts.osId,
  osName: hosts.osName,
  osVersion: hosts.osVersion,
  kernel: hosts.kernel,
  arch: hosts.arch,
  hwVendor: hosts.hwVendor,
  hwModel: hosts.hwModel,
  hwSerial: hosts.hwSerial,
  addresses: hosts.addresses,
  loginUsers: hosts.loginUsers,
  labels: hosts.labels,
  status: hosts.status,
  packageCount: hosts.packageCount,
  enrolledAt: hosts.enrolledAt,
  lastSeenAt: hosts.lastSeenAt,
  lastReportAt: hosts.lastReportAt,
  online: onlineExpr(now, staleMs),
});

type SummaryRow = { [K in keyof ReturnType<typeof summaryColumns>]: unknown } & Record<string, unknown>;

function toSummary(r: SummaryRow): HostSummary {
  return {
    id: r.id as string,
    hostname: r.hostname as string,
    os: { platform: r.osPlatform as string, id: r.osId as string, name: r.osName as string, version: r.osVersion as string, kernel: r.kernel as string, arch: r.arch as string },
    hardware: { vendor: r.hwVendor as string, model: r.hwModel as string, serial: r.hwSerial as string },
    addresses: (r.addresses as string[]) ?? [],
    users: (r.loginUsers as string[]) ?? [],
    labels: (r.labels as Record<string, string>) ?? {},
    status: r.status as string,
    packageCount: r.packageCount as number,
    enrolledAt: (r.enrolledAt as Date).toISOString(),
    lastSeenAt: (r.lastSeenAt as Date | null)?.toISOString() ?? null,
    lastReportAt: (r.lastReportAt as Date | null)?.toISOString() ?? null,
    online: Boolean(r.online),
  };
}

/**
 * What a search string matches: hostname, FQDN, serial (substring,
 * case-insensitive), address (exact or prefix, e.g. "10.1.2."), id, a user
 * logged in at the last inventory (case-insensitive prefix, also after a
 * Windows domain: "alice" finds "CORP\alice"), or a label: `key=value`
 * exactly, or any label's value (case-insensitive, e.g. "web").
 */
export function hostSearchCondition(q: string): SQL {
  const like = `%${likeEscape(q)}%`;
  const prefix = `${likeEscape(q)}%`;
  const eqAt = q.indexOf('=');
  const label = eqAt > 0 ? sql`hosts.labels ->> ${q.slice(0, eqAt)} = ${q.slice(eqAt + 1)}` : sql`exists (select 1 from jsonb_each_text(hosts.labels) l where lower(l.value) = lower(${q}))`;
  // Every match below contains q, case aside: one LIKE over the narrow host_search (kept by a trigger) picks the few rows the rest look at.
  const anyField = sql`hosts.id in (select hs.host_id from host_search hs where hs.text like lower(${like}))`;
  return and(
    anyField,
    or(
      ilike(hosts.hostname, like),
      ilike(hosts.fqdn, like),
      ilike(hosts.hwSerial, like),
      eq(hosts.id, q),
      sql`exists (select 1 from unnest(hosts.addresses) a where a = ${q} or a like ${prefix})`,
      sql`exists (select 1 from unnest(hosts.login_users) u where u ilike ${prefix} or u ilike ${`%\\\\${prefix}`})`,
      label,
    ),
  ) as SQL;
}

/** Exact matches (id, hostname, an address, the serial) sort before partial ones. */
function exactFirst(q: string): SQL {
  return sql`(hosts.id = ${q} or lower(hosts.hostname) = lower(${q}) or ${q} = any(hosts.addresses) or lower(hosts.hw_serial) = lower(${q})) desc`;
}

/** Searches hosts (see hostSearchCondition), exact matches first, then by hostname; `total` counts every match. */
export async function searchHosts(db: Db, opts: { q?: string | undefined; limit: number; offset: number; now: Date; staleMs: number }): Promise<{ items: HostSummary[]; total: number }> {
  const q = opts.q?.trim();
  const where = q ? hostSearchCondition(q) : undefined;
  const [rows, totals] = await Promise.all([
    db
      .select(summaryColumns(opts.now, opts.staleMs))
      .from(hosts)
      .where(where)
      .orderBy(...(q ? [exactFirst(q)] : []), asc(hosts.hostname), asc(hosts.id))
      .limit(opts.limit)
      .offset(opts.offset),
    db.select({ n: count() }).from(hosts).where(where),
  ]);
  return { items: rows.map((r) => toSummary(r as SummaryRow)), total: Number(totals[0]?.n ?? 0) };
}

export interface HostDetail extends HostSummary {
  fqdn: string | null;
  facts: Record<string, unknown> | null;
  lastSeq: number;
  sessions: { id: string; controllerId: string; remoteAddress: string; agentVersion: string; connectedAt: string; lastSeenAt: string; disconnectedAt: string | null; closeReason: string | null }[];
}

export async function getHost(db: Db, id: string, now: Date, staleMs: number): Promise<HostDetail | undefined> {
  const [row] = await db
    .select({ ...summaryColumns(now, staleMs), fqdn: hosts.fqdn, facts: hosts.facts, lastSeq: hosts.lastSeq })
    .from(hosts)
    .where(eq(hosts.id, id))
    .limit(1);
  if (!row) return undefined;
  const sessions = await db.select().from(hostSessions).where(eq(hostSessions.hostId, id)).orderBy(desc(hostSessions.connectedAt)).limit(10);
  return {
    ...toSummary(row as SummaryRow),
    fqdn: row.fqdn,
    facts: row.facts ?? null,
    lastSeq: row.lastSeq,
    sessions: sessions.map((s) => ({
      id: s.id,
      controllerId: s.controllerId,
      remoteAddress: s.remoteAddress,
      agentVersion: s.agentVersion,
      connectedAt: s.connectedAt.toISOString(),
      lastSeenAt: s.lastSeenAt.toISOString(),
      disconnectedAt: s.disconnectedAt?.toISOString() ?? null,
      closeReason: s.closeReason,
    })),
  };
}

/** Which of `ids` are online at `now` (see onlineExpr). */
export async function onlineHostIds(db: Db | Tx, ids: readonly string[], now: Date, staleMs: number): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.select({ id: hosts.id }).from(hosts).where(and(idIn(hosts.id, ids), onlineExpr(now, staleMs)));
  return new Set(rows.map((r) => r.id));
}

/** Which of `ids` name no enrolled host. */
export async function unknownHostIds(db: Db, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const known = await db.select({ id: hosts.id }).from(hosts).where(idIn(hosts.id, ids));
  const have = new Set(known.map((k) => k.id));
  return ids.filter((id) => !have.has(id));
}

/** The id and hostname of one host, or undefined. */
export async function hostName(db: Db, id: string): Promise<{ id: string; hostname: string } | undefined> {
  const [row] = await db.select({ id: hosts.id, hostname: hosts.hostname }).from(hosts).where(eq(hosts.id, id)).limit(1);
  return row;
}

export async function hostExists(db: Db, id: string): Promise<boolean> {
  const [row] = await db.select({ id: hosts.id }).from(hosts).where(eq(hosts.id, id)).limit(1);
  return row !== undefined;
}

export async function listHostPackages(db: Db, hostId: string, opts: { q?: string | undefined; limit: number; offset: number }) {
  const q = opts.q?.trim();
  const where = and(eq(installedPackages.hostId, hostId), q ? or(ilike(installedPackages.name, `%${likeEscape(q)}%`), ilike(installedPackages.sourceName, `%${likeEscape(q)}%`)) : undefined);
  const [items, totals] = await Promise.all([
    db
      .select({ name: installedPackages.name, version: installedPackages.version, arch: installedPackages.arch, sourceName: installedPackages.sourceName, sourceVersion: installedPackages.sourceVersion, manager: installedPackages.manager })
      .from(installedPackages)
      .where(where)
      .orderBy(asc(installedPackages.name), asc(installedPackages.arch))
      .limit(opts.limit)
      .offset(opts.offset),
    db.select({ n: count() }).from(installedPackages).where(where),
  ]);
  return { items, total: Number(totals[0]?.n ?? 0) };
}
