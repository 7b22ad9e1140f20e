/**
 * Heartbeats of thousands of agents would be thousands of UPDATEs a minute;
 * instead the latest time per host and per session is kept in memory and
 * flushed in two multi-row statements every few seconds.
 *
 * Writes `host_sessions.last_seen_at` (gateway/handshake-store.ts owns
 * `host_sessions`), `hosts.last_seen_at` (enrollment/ owns `hosts`), and
 * `hosts.boot_id` / `boot_seen_at` (the boot id last reported in a
 * heartbeat or health sample, and when: reboot checks read it).
 */
import { sql } from 'drizzle-orm';
import type { Clock, TimerHandle } from '@patchfleet/shared';
import type { Db } from '../db/index';
import type { Logger } from '../logger';

const BATCH = 1000;

export class LastSeenTracker {
  private pending = new Map<string, { hostId: string; at: number }>();
  private timer: TimerHandle | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly intervalMs = 5000,
    /**
     * Simulation mode: no timer while nothing is pending; a flush is armed by
     * the first touch after the last one (`intervalMs` later). On a stepped
     * clock a flush every 5 virtual seconds would be 17,280 rounds per
     * virtual day for nothing; the delay to the database is the same bound.
     */
    private readonly onTouchOnly = false,
  ) {}

  start(): void {
    if (this.onTouchOnly) return;
    const tick = (): void => {
      // The flush's promise goes back to the clock: a stepped (simulated) clock waits for it.
      this.timer = this.clock.after(this.intervalMs, () => this.flush().finally(tick));
    };
    tick();
  }

  /** Records that the session was seen now. */
  touch(sessionId: string, hostId: string): void {
    this.pending.set(sessionId, { hostId, at: this.clock.now() });
    if (this.onTouchOnly && !this.timer && !this.stopped) {
      this.timer = this.clock.after(this.intervalMs, () => {
        this.timer = undefined;
        return this.flush();
      });
    }
  }

  /** Writes what is pending; safe to call concurrently (flushes run one after another). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write()).catch((err: unknown) => {
      this.log.warn({ err }, 'last-seen flush failed; will retry');
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const entries = [...this.pending.entries()];
    this.pending = new Map();
    for (let i = 0; i < entries.length; i += BATCH) {
      const batch = entries.slice(i, i + BATCH);
      const sessionRows = sql.join(batch.map(([sid, e]) => sql`(${sid}, ${new Date(e.at).toISOString()}::timestamptz)`), sql`, `);
      // Explicit names: drizzle would leave the columns unqualified, and `id` is in both relations.
      await this.db.execute(sql`update host_sessions s set last_seen_at = v.at from (values ${sessionRows}) as v(id, at) where s.id = v.id and s.last_seen_at < v.at`);
      const byHost = new Map<string, number>();
      for (const [, e] of batch) byHost.set(e.hostId, Math.max(byHost.get(e.hostId) ?? 0, e.at));
      const hostRows = sql.join([...byHost].map(([hid, at]) => sql`(${hid}, ${new Date(at).toISOString()}::timestamptz)`), sql`, `);
      await this.db.execute(sql`update hosts h set last_seen_at = v.at from (values ${hostRows}) as v(id, at) where h.id = v.id and (h.last_seen_at is null or h.last_seen_at < v.at)`);
    }
  }
}

/**
 * Records that `hostId` runs boot `bootId`, first seen at `at`, in one
 * statement: written only when the boot id differs from the stored one and
 * the report is not older than the stored boot's first sighting (a queued
 * sample of an earlier boot, delivered late, changes nothing). Sessions call
 * it when their agent's boot id changes, so it is one write per session and
 * reboot, not one per heartbeat.
 */
export async function recordBoot(db: Db, hostId: string, bootId: string, at: Date): Promise<void> {
  if (!bootId) return;
  await db.execute(
    sql`update hosts set boot_id = ${bootId}, boot_seen_at = ${at.toISOString()}::timestamptz where id = ${hostId} and boot_id is distinct from ${bootId} and (boot_seen_at is null or boot_seen_at <= ${at.toISOString()}::timestamptz)`,
  );
}
