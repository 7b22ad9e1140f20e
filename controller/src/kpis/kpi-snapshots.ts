/**
 * The fleet KPIs as served: one snapshot per period length and clock
 * minute, shared by every request of that minute on this replica.
 *
 * Computing them reads the fleet (six statements over tens of thousands of
 * rows: 0.3 to 1 s at 50,000 hosts), while the dashboard asks for the same
 * figures on every overview page. A snapshot is exactly `fleetKpis` at the
 * start of a clock minute (`at`), so the answers are the definition's at
 * that instant, never an approximation; what a cache adds is age: `at` is at
 * most two minutes before the request (the current minute, or the previous
 * one while the current one is being computed in the background).
 *
 * So that the first request after a quiet spell seldom pays for the
 * computation, each period length asked for in the last KPI_KEEP_WARM_MS is
 * recomputed at the start of every minute (a timer on the controller clock,
 * stopped with the app).
 */
import type { Clock, TimerHandle } from '@patchfleet/shared';
import type { Db } from '../db/index';
import { fleetKpis, type FleetKpis } from './fleet-kpis';

/** A snapshot's instant is the start of the clock minute it was asked in. */
export const KPI_SNAPSHOT_MS = 60_000;

/** How long a period length stays recomputed each minute after it was last asked for. */
export const KPI_KEEP_WARM_MS = 10 * 60_000;

interface Entry {
  /** Start of the minute the figures are for. */
  minute: number;
  kpis: Promise<FleetKpis>;
}

/** Per-replica snapshots of `fleetKpis`, keyed by period length. */
export class KpiSnapshots {
  /** Latest finished snapshot per period length (only a finished one is served while the next is computed). */
  private readonly done = new Map<number, Entry>();
  /** Snapshot being computed per period length (at most one: concurrent requests share it). */
  private readonly pending = new Map<number, Entry>();
  /** When each period length was last asked for (clock ms). */
  private readonly asked = new Map<number, number>();
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onRefreshError: (err: unknown) => void = () => undefined,
    /** The definition computed; a test counts the computations with its own. */
    private readonly computeKpis: typeof fleetKpis = fleetKpis,
  ) {}

  /**
   * The KPIs over `days` days up to the start of the current clock minute.
   * Served from this minute's snapshot; else from the previous minute's
   * while this minute's is computed (not awaited); else computed now.
   */
  async get(days: number): Promise<FleetKpis> {
    const now = this.clock.now();
    const minute = Math.floor(now / KPI_SNAPSHOT_MS) * KPI_SNAPSHOT_MS;
    this.asked.set(days, now);
    this.schedule(minute);
    const done = this.done.get(days);
    if (done?.minute === minute) return done.kpis;
    const fresh = this.compute(days, minute);
    if (done?.minute === minute - KPI_SNAPSHOT_MS) {
      // The caller gets last minute's figures; this minute's must not reject unobserved.
      fresh.catch(this.onRefreshError);
      return done.kpis;
    }
    return fresh;
  }

  /** Stops the minute timer (the app closes); snapshots still being computed finish on their own. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Arms the timer for the start of the minute after `minute`, unless armed. */
  private schedule(minute: number): void {
    if (this.stopped || this.timer) return;
    this.timer = this.clock.after(minute + KPI_SNAPSHOT_MS - this.clock.now(), () => this.tick());
  }

  /** At the start of a minute: this minute's snapshot of every period length asked for lately. */
  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.clock.now();
    const minute = Math.floor(now / KPI_SNAPSHOT_MS) * KPI_SNAPSHOT_MS;
    for (const [days, at] of this.asked) {
      if (now - at > KPI_KEEP_WARM_MS) this.asked.delete(days);
      else if (this.done.get(days)?.minute !== minute) this.compute(days, minute).catch(this.onRefreshError);
    }
    if (this.asked.size > 0) this.schedule(minute);
  }

  private compute(days: number, minute: number): Promise<FleetKpis> {
    const inFlight = this.pending.get(days);
    if (inFlight?.minute === minute) return inFlight.kpis;
    const entry: Entry = { minute, kpis: this.computeKpis(this.db, { nowMs: minute, days }) };
    this.pending.set(days, entry);
    entry.kpis.then(
      () => {
        const prev = this.done.get(days);
        if (!prev || prev.minute <= minute) this.done.set(days, entry);
        if (this.pending.get(days) === entry) this.pending.delete(days);
      },
      () => {
        // A failed computation is forgotten: the next request tries again.
        if (this.pending.get(days) === entry) this.pending.delete(days);
      },
    );
    return entry.kpis;
  }
}
