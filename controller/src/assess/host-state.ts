/**
 * The controller's per-host patch state: every host re-assessed when its
 * inventory changes and every host when the catalog changes. Work runs one
 * job at a time in the background, so a burst of reports or an import never
 * piles up concurrent assessments.
 *
 * Owns the tables `host_patch_state` (assess/patch-views.ts reads it for the
 * API) and `host_patch_summary` (one row per assessed host, for kpis/).
 */
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { trackWork, type TimerHandle } from '@patchfleet/shared';
import type { ControllerContext } from '../context';
import { catalogImports, hostPatchState, hostPatchSummary, hosts, installedPackages } from '../db/schema/index';
import type { Db } from '../db/index';
import { CATALOG_CHANGED_CHANNEL } from '../catalog/import-log';
import { loadCatalog } from '../catalog/store';
import { hostRiskContext } from '../scoring/host-risk';
import { resolveSla } from '../scoring/sla';
import { assessHost, hostInputFromInventory, prepareCatalog, type HostAssessment, type PreparedCatalog } from './assess-host';

const PAGE = 200;
const BATCH = 500;

/** The newest import that changed anything; 0 when nothing was ever imported. */
export async function catalogGeneration(db: Db): Promise<number> {
  const [row] = await db
    .select({ id: sql<number>`coalesce(max(${catalogImports.id}), 0)` })
    .from(catalogImports)
    .where(sql`${catalogImports.inserted} + ${catalogImports.updated} + ${catalogImports.deleted} > 0`);
  return Number(row?.id ?? 0);
}

/** Assesses one host from what the database holds, and replaces its stored state. */
export async function assessStoredHost(db: Db, hostId: string, prepared: PreparedCatalog, opts: { now: number; sla?: ReturnType<typeof resolveSla> }): Promise<HostAssessment | undefined> {
  const [host] = await db.select({ facts: hosts.facts, labels: hosts.labels }).from(hosts).where(eq(hosts.id, hostId)).limit(1);
  if (!host?.facts) return undefined; // enrolled, but no report yet
  const packages = await db
    .select({ manager: installedPackages.manager, name: installedPackages.name, version: installedPackages.version, sourceName: installedPackages.sourceName, sourceVersion: installedPackages.sourceVersion, arch: installedPackages.arch })
    .from(installedPackages)
    .where(eq(installedPackages.hostId, hostId));
  const input = hostInputFromInventory(host.facts as never, packages);
  const result = assessHost(input, prepared, { now: opts.now, risk: hostRiskContext(host.labels), ...(opts.sla ? { sla: opts.sla } : {}) });
  const at = new Date(opts.now);
  const rows = [
    ...result.missing.map((m) => ({
      hostId,
      patchId: m.id,
      kind: m.kind,
      status: 'missing' as const,
      title: m.title,
      cves: m.cves,
      packages: m.packages ?? [],
      requires: m.requires ?? null,
      score: m.priority.score,
      tier: m.priority.tier,
      dueBy: new Date(m.priority.dueBy),
      reasons: m.priority.reasons,
      assessedAt: at,
    })),
    ...result.installed.map((id) => ({ hostId, patchId: id, kind: (id.startsWith('KB') ? 'kb' : 'usn') as 'kb' | 'usn', status: 'installed' as const, assessedAt: at })),
  ];
  const firstDue = result.missing.reduce<number | null>((a, m) => {
    const due = Date.parse(m.priority.dueBy);
    return a === null || due < a ? due : a;
  }, null);
  const summary = { missing: result.missing.length, firstDueBy: firstDue === null ? null : new Date(firstDue), assessedAt: at };
  await db.transaction(async (tx) => {
    await tx.delete(hostPatchState).where(eq(hostPatchState.hostId, hostId));
    for (let i = 0; i < rows.length; i += BATCH) await tx.insert(hostPatchState).values(rows.slice(i, i + BATCH));
    // No rows, no summary: a host the assessment says nothing about is unknown, not within SLA.
    if (rows.length === 0) await tx.delete(hostPatchSummary).where(eq(hostPatchSummary.hostId, hostId));
    else await tx.insert(hostPatchSummary).values({ hostId, ...summary }).onConflictDoUpdate({ target: hostPatchSummary.hostId, set: summary });
  });
  return result;
}

export class HostStateService {
  private prepared: { generation: number; catalog: PreparedCatalog } | undefined;
  private queue = new Set<string>();
  private everyone = false;
  private running: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly pollMs = 30_000,
  ) {}

  /** Watches the catalog for changes (imports by the CLI or the scheduled refresh) and assesses everyone once. */
  start(): void {
    this.everyone = true;
    this.kick();
    // Imports through the API announce themselves; the poll below still catches the rest (the scheduled refresh on another replica).
    void this.ctx.bus
      .subscribe(CATALOG_CHANGED_CHANNEL, () => this.catalogChanged())
      .then((unsubscribe) => {
        if (this.stopped) void unsubscribe();
        else this.unsubscribe = unsubscribe;
      })
      .catch((err: unknown) => this.ctx.log.warn({ err }, 'cannot listen for catalog changes; polling only'));
    const tick = () => {
      // The check's promise goes back to the clock: a stepped (simulated) clock waits for it.
      this.timer = this.ctx.clock.after(this.pollMs, () =>
        catalogGeneration(this.ctx.db)
          .then((g) => {
            if (g !== (this.prepared?.generation ?? 0)) {
              this.everyone = true;
              this.kick();
            }
          })
          .catch((err: unknown) => this.ctx.log.warn({ err }, 'catalog check failed'))
          .finally(() => {
            if (!this.stopped) tick();
          }),
      );
    };
    tick();
  }

  /** Re-assesses every host (after this process changed the catalog). */
  catalogChanged(): void {
    this.everyone = true;
    this.kick();
  }

  /** Queues one host (after its inventory changed). */
  hostChanged(hostId: string): void {
    this.queue.add(hostId);
    this.kick();
  }

  /** Resolves when all queued work is done (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.unsubscribe?.().catch((err: unknown) => this.ctx.log.warn({ err }, 'catalog change listener not closed'));
    await this.idle();
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = trackWork(
      this.ctx.clock,
      this.drain()
        .catch((err: unknown) => this.ctx.log.error({ err }, 'host assessment failed'))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped && (this.queue.size > 0 || this.everyone)) this.kick();
        }),
      'host assessment',
    );
  }

  private async catalog(): Promise<PreparedCatalog> {
    const generation = await catalogGeneration(this.ctx.db);
    if (!this.prepared || this.prepared.generation !== generation) {
      // A duration of real work: real time even when `clock` is simulated.
      const elapsed = this.ctx.netClock ?? this.ctx.clock;
      const started = elapsed.now();
      const catalog = await loadCatalog(this.ctx.db);
      this.prepared = { generation, catalog: prepareCatalog(catalog) };
      this.ctx.log.info({ generation, usns: catalog.usns.length, kbs: catalog.kbs.length, cves: catalog.cves.size, ms: elapsed.now() - started }, 'catalog loaded');
    }
    return this.prepared.catalog;
  }

  private async drain(): Promise<void> {
    const opts = { now: this.ctx.clock.now(), sla: resolveSla(this.ctx.config.sla) };
    if (this.everyone) {
      this.everyone = false;
      const prepared = await this.catalog();
      let after = '';
      let count = 0;
      for (;;) {
        const page = await this.ctx.db.select({ id: hosts.id }).from(hosts).where(and(eq(hosts.status, 'active'), gt(hosts.id, after))).orderBy(asc(hosts.id)).limit(PAGE);
        for (const { id } of page) {
          if (this.stopped) return;
          this.queue.delete(id);
          await assessStoredHost(this.ctx.db, id, prepared, opts);
          count += 1;
        }
        if (page.length < PAGE) break;
        after = page[page.length - 1]?.id ?? after;
      }
      this.ctx.log.info({ hosts: count }, 'fleet re-assessed');
    }
    while (this.queue.size > 0 && !this.stopped) {
      const [id] = this.queue;
      this.queue.delete(id as string);
      await assessStoredHost(this.ctx.db, id as string, await this.catalog(), opts);
    }
  }
}
