/**
 * One host from what a person types: its id, hostname, FQDN, an address,
 * its serial, or a unique prefix of its id (`hosts show vm`,
 * `hosts show 10.0.0.7`, `hosts show 0ddf9b13`). Looked up in tiers, the
 * first tier with a match deciding:
 *
 * 1. the exact id;
 * 2. hostname, FQDN or serial (case-insensitive), or one of its addresses;
 * 3. a prefix of the id (case-insensitive).
 *
 * Within a tier, revoked hosts count only when no other host matches (a
 * re-enrolled machine keeps its revoked record under the same name). One
 * match is the answer; none is PF_ERR_NOT_FOUND; several are
 * PF_ERR_HOST_AMBIGUOUS, listing them, so nobody acts on a guess.
 */
import { asc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { Db } from '../db/index';
import { hosts } from '../db/schema/index';

/** How the query matched the host. */
export type HostMatch = 'id' | 'hostname' | 'fqdn' | 'address' | 'serial' | 'id-prefix';

export interface ResolvedHost {
  id: string;
  hostname: string;
  fqdn: string | null;
  status: string;
  matchedBy: HostMatch;
}

/** One of several hosts a query matched (PF_ERR_HOST_AMBIGUOUS's `details.candidates`). */
export interface HostCandidate {
  id: string;
  hostname: string;
  status: string;
  lastSeenAt: string | null;
}

/** At most this many candidates are listed; `details.more` says when there were others. */
export const MAX_CANDIDATES = 20;

interface Row {
  id: string;
  hostname: string;
  fqdn: string | null;
  hwSerial: string;
  addresses: string[];
  status: string;
  lastSeenAt: Date | null;
}

const columns = { id: hosts.id, hostname: hosts.hostname, fqdn: hosts.fqdn, hwSerial: hosts.hwSerial, addresses: hosts.addresses, status: hosts.status, lastSeenAt: hosts.lastSeenAt };

/** Escapes LIKE wildcards so "a_b" does not match "axb". */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

async function rowsWhere(db: Db, where: SQL | undefined): Promise<Row[]> {
  // Hosts that are not revoked first: the limit never hides them behind revoked ones.
  return db
    .select(columns)
    .from(hosts)
    .where(where)
    .orderBy(sql`${hosts.status} = 'revoked'`, asc(hosts.hostname), asc(hosts.id))
    .limit(MAX_CANDIDATES + 1);
}

/** Which field of `row` equals `q` (tier 2). */
function matchOf(row: Row, q: string): HostMatch {
  const lower = q.toLowerCase();
  if (row.hostname.toLowerCase() === lower) return 'hostname';
  if (row.fqdn?.toLowerCase() === lower) return 'fqdn';
  if (row.addresses.some((a) => a.toLowerCase() === lower)) return 'address';
  return 'serial';
}

/**
 * The one host of a tier's matches, or an error: none (undefined, the next
 * tier is tried) or several (PF_ERR_HOST_AMBIGUOUS).
 */
function pickHost(q: string, rows: readonly Row[], matchedBy: (row: Row) => HostMatch): ResolvedHost | undefined {
  const live = rows.filter((r) => r.status !== 'revoked');
  const pool = live.length > 0 ? live : rows;
  const [only] = pool;
  if (only === undefined) return undefined;
  if (pool.length === 1) return { id: only.id, hostname: only.hostname, fqdn: only.fqdn, status: only.status, matchedBy: matchedBy(only) };
  const listed = pool.slice(0, MAX_CANDIDATES);
  const more = pool.length > MAX_CANDIDATES;
  const candidates: HostCandidate[] = listed.map((r) => ({ id: r.id, hostname: r.hostname, status: r.status, lastSeenAt: r.lastSeenAt?.toISOString() ?? null }));
  const names = listed.map((r) => `${r.hostname} (${r.id}${r.status === 'revoked' ? ', revoked' : ''})`).join(', ');
  throw new PfError(
    Errors.HOST_AMBIGUOUS,
    `${more ? `more than ${MAX_CANDIDATES}` : listed.length} hosts match "${q}" by ${matchedBy(only)}: ${names}${more ? ', ...' : ''}; name one by its id or a longer id prefix`,
    { candidates, more },
  );
}

/** Resolves `q` to one host (see the file comment); throws PF_ERR_NOT_FOUND or PF_ERR_HOST_AMBIGUOUS. */
export async function resolveHost(db: Db, query: string): Promise<ResolvedHost> {
  const q = query.trim();
  if (q === '') throw new PfError(Errors.VALIDATION, 'give a host id, hostname, FQDN, address, serial or id prefix');
  const [exact] = await db.select(columns).from(hosts).where(eq(hosts.id, q)).limit(1);
  if (exact) return { id: exact.id, hostname: exact.hostname, fqdn: exact.fqdn, status: exact.status, matchedBy: 'id' };
  const lower = q.toLowerCase();
  const named = await rowsWhere(
    db,
    or(
      sql`lower(${hosts.hostname}) = ${lower}`,
      sql`lower(${hosts.fqdn}) = ${lower}`,
      sql`(${hosts.hwSerial} <> '' and lower(${hosts.hwSerial}) = ${lower})`,
      sql`exists (select 1 from unnest(hosts.addresses) a where lower(a) = ${lower})`,
    ),
  );
  const byName = pickHost(q, named, (r) => matchOf(r, q));
  if (byName) return byName;
  const byPrefix = pickHost(q, await rowsWhere(db, ilike(hosts.id, `${likeEscape(q)}%`)), () => 'id-prefix');
  if (byPrefix) return byPrefix;
  throw new PfError(Errors.NOT_FOUND, `no host matches "${q}" (by id, hostname, FQDN, address, serial or id prefix)`);
}
