/**
 * Applies inventory reports to the database: this module owns the host
 * package tables (installed_packages, inventory_snapshots) and the report
 * columns of hosts. A report is applied in one transaction with the host row
 * locked, so concurrent reports of one host serialize and a crash leaves the
 * previous package set whole. Reports at or below the host's last sequence
 * number are duplicates (the agent resends until acknowledged) and change
 * nothing, except a full report whose content differs from what is stored or
 * that comes from another outbox epoch: its numbering is not the one stored
 * (a state directory started afresh next to a copied identity.json restarts
 * at 1), and dropping it would keep a stale package set for good. Package
 * writes and deletions go as one statement each (a JSON parameter expanded
 * by jsonb_to_recordset; see upsertPackages), same SQL on PGlite and
 * PostgreSQL.
 */
import { eq, sql } from 'drizzle-orm';
import { packageKey, PfError, Errors, type HostFacts, type Package, type PackageKey } from '@patchfleet/shared';
import { hosts, installedPackages, inventorySnapshots } from '../db/schema/index';
import type { Db, Tx } from '../db/index';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Report } from '../gateway/report-assembler';

/** Rows per statement: one statement for a report of up to this many package writes (or deletions). */
const BATCH = 10_000;

export interface ApplyResult {
  applied: boolean;
  packageCount: number;
  added: number;
  removed: number;
  changed: number;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function hostColumns(facts: HostFacts) {
  const addresses = new Set<string>();
  for (const nic of facts.network) {
    if (nic.internal) continue;
    for (const a of [...nic.ipv4, ...nic.ipv6]) addresses.add(a);
  }
  return {
    hostname: facts.hostname,
    fqdn: facts.fqdn ?? null,
    osPlatform: facts.os.platform,
    osId: facts.os.id,
    osName: facts.os.name,
    osVersion: facts.os.version,
    kernel: facts.os.kernel,
    arch: facts.os.arch,
    hwVendor: facts.hardware.vendor,
    hwModel: facts.hardware.model,
    hwSerial: facts.hardware.serial,
    addresses: [...addresses].slice(0, 256),
    loginUsers: [...new Set(facts.users.map((u) => u.user))].slice(0, 64),
    facts: facts as unknown as Record<string, unknown>,
  };
}

/**
 * Package rows travel as one JSON parameter per statement, expanded by
 * `jsonb_to_recordset` on the server: drizzle built a 1,000-row
 * `INSERT ... VALUES` with 7,000 parameters per batch, and that building took
 * most of the controller's time for a report (issue 14). Up to BATCH rows a
 * statement, so a whole 1,500-package report is one upsert and its
 * removals one delete, inside the report's one transaction.
 */
async function upsertPackages(tx: Tx, hostId: string, packages: Package[]): Promise<void> {
  for (const batch of chunks(packages, BATCH)) {
    const rows = JSON.stringify(batch.map((p) => ({ m: p.manager, n: p.name, a: p.arch, v: p.version, s: p.sourceName, sv: p.sourceVersion })));
    await tx.execute(sql`insert into ${installedPackages} (host_id, manager, name, arch, version, source_name, source_version)
      select ${hostId}, r.m, r.n, r.a, r.v, r.s, r.sv from jsonb_to_recordset(${rows}::jsonb) as r(m text, n text, a text, v text, s text, sv text)
      on conflict (host_id, manager, name, arch) do update set version = excluded.version, source_name = excluded.source_name, source_version = excluded.source_version`);
  }
}

async function deletePackages(tx: Tx, hostId: string, keys: PackageKey[]): Promise<void> {
  for (const batch of chunks(keys, BATCH)) {
    // The keys travel as one JSON parameter: a row-value IN list of a thousand
    // tuples nests too deep for PGlite (it aborts) and costs 3 parameters a key.
    const rows = JSON.stringify(batch.map((k) => ({ m: k.manager, n: k.name, a: k.arch })));
    await tx.execute(sql`delete from ${installedPackages} p using jsonb_to_recordset(${rows}::jsonb) as d(m text, n text, a text)
      where p.host_id = ${hostId} and p.manager = d.m and p.name = d.n and p.arch = d.a`);
  }
}

/**
 * The host's stored packages, read as one JSON text (json_agg) and parsed
 * here: a daily full report reads back every row of its host, and mapping
 * 1,500 rows field by field through the driver and drizzle cost about 2 ms
 * of controller CPU a report more (`pnpm bench:ingest`, second round).
 */
async function storedPackages(tx: Tx, hostId: string): Promise<Package[]> {
  const result = await tx.execute(sql`select coalesce(json_agg(json_build_array(p.manager, p.name, p.arch, p.version, p.source_name, p.source_version)), '[]')::text as rows
    from ${installedPackages} p where p.host_id = ${hostId}`);
  const rows = resultRows<{ rows: string }>(result);
  const tuples = JSON.parse(rows[0]?.rows ?? '[]') as [Package['manager'], string, string, string, string, string][];
  return tuples.map(([manager, name, arch, version, sourceName, sourceVersion]) => ({ manager, name, arch, version, sourceName, sourceVersion }));
}

function assertUnique(packages: Package[], seq: number): void {
  const seen = new Set<string>();
  for (const p of packages) {
    const k = packageKey(p);
    if (seen.has(k)) throw new PfError(Errors.BAD_FRAME, `report ${seq} lists package ${p.name}:${p.arch} (${p.manager}) twice`);
    seen.add(k);
  }
}

const samePackage = (a: Package, b: Package): boolean => a.version === b.version && a.sourceName === b.sourceName && a.sourceVersion === b.sourceVersion;

/** Whether `packages` is exactly the stored set `current`. */
function sameSet(current: Map<string, Package>, packages: Package[]): boolean {
  if (current.size !== packages.length) return false;
  return packages.every((p) => {
    const old = current.get(packageKey(p));
    return old !== undefined && samePackage(old, p);
  });
}

export async function applyReport(db: Db, hostId: string, report: Report, now: Date): Promise<ApplyResult> {
  assertUnique(report.packages, report.seq);
  return db.transaction(async (tx) => {
    const [host] = await tx.select({ lastSeq: hosts.lastSeq, packageCount: hosts.packageCount, reportEpoch: hosts.reportEpoch }).from(hosts).where(eq(hosts.id, hostId)).for('update');
    if (!host) throw new PfError(Errors.UNKNOWN_AGENT, `host ${hostId} no longer exists`);
    const duplicate: ApplyResult = { applied: false, packageCount: host.packageCount, added: 0, removed: 0, changed: 0 };
    // A report of an epoch other than the stored one counts in another numbering: its seq says nothing about ours.
    const otherEpoch = report.epoch !== undefined && report.epoch !== host.reportEpoch;
    if (report.seq <= host.lastSeq && !otherEpoch && report.kind === 'delta') return duplicate;
    if (report.kind === 'delta' && otherEpoch) {
      throw new PfError(Errors.RESYNC_REQUIRED, `delta ${report.seq} belongs to an outbox numbering the controller does not hold; send a full report`);
    }

    const existing = await storedPackages(tx, hostId);
    const current = new Map(existing.map((p) => [packageKey(p), p]));
    // A resent full report holds exactly what it stored; one that differs is a new numbering (older agents send no epoch).
    if (report.seq <= host.lastSeq && !otherEpoch && sameSet(current, report.packages)) return duplicate;

    let upserts: Package[];
    let deletions: PackageKey[];
    if (report.kind === 'full') {
      const incoming = new Set(report.packages.map(packageKey));
      deletions = existing.filter((p) => !incoming.has(packageKey(p)));
      upserts = report.packages;
    } else {
      if (report.baseSeq !== host.lastSeq) {
        throw new PfError(Errors.RESYNC_REQUIRED, `delta ${report.seq} is based on report ${report.baseSeq ?? 'none'} but the controller holds report ${host.lastSeq}`);
      }
      upserts = report.packages;
      deletions = report.removed.filter((k) => current.has(packageKey(k)));
    }
    let added = 0;
    let changed = 0;
    const writes = upserts.filter((p) => {
      const old = current.get(packageKey(p));
      if (!old) {
        added += 1;
        return true;
      }
      if (!samePackage(old, p)) {
        changed += 1;
        return true;
      }
      return false; // unchanged: no write
    });
    await deletePackages(tx, hostId, deletions);
    await upsertPackages(tx, hostId, writes);
    const packageCount = current.size - deletions.length + added;
    await tx
      .update(hosts)
      .set({ ...hostColumns(report.host), lastSeq: report.seq, reportEpoch: report.epoch ?? null, packageCount, lastReportAt: now, lastSeenAt: now })
      .where(eq(hosts.id, hostId));
    await tx.insert(inventorySnapshots).values({
      hostId,
      seq: report.seq,
      kind: report.kind,
      collectedAt: new Date(report.collectedAt),
      receivedAt: now,
      packageCount,
      added,
      removed: deletions.length,
      changed,
    });
    return { applied: true, packageCount, added, removed: deletions.length, changed };
  });
}
