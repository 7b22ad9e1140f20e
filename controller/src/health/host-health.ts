/**
 * Read side of one host's health for the API and CLI: a series (raw samples
 * or hourly roll-ups), the events the samples listed, the boot ids seen and
 * the sources that were unavailable, over a bounded time range.
 */
import { sql } from 'drizzle-orm';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Db } from '../db/index';

/** Rows of a series at most (a week of 5-minute samples is 2,016). */
export const MAX_SERIES_ROWS = 5000;
export const MAX_EVENTS = 500;

export interface HealthPoint {
  /** Interval start (raw) or the hour (hour). */
  start: string;
  end: string;
  samples: number;
  coveredSec: number;
  appCrashes: number | null;
  kernelCrashes: number | null;
  serviceFailures: number | null;
  unexpectedShutdowns: number | null;
  probeFailures: number | null;
  probeRuns: number | null;
  bootIds: string[];
  uptimeSec?: number | null;
  unavailable?: string[];
}

export interface HostHealthView {
  host: { id: string; hostname: string; bootId: string | null; bootSeenAt: string | null };
  from: string;
  to: string;
  resolution: 'raw' | 'hour';
  series: HealthPoint[];
  /** True when the range held more than MAX_SERIES_ROWS rows: the newest are shown. */
  truncated: boolean;
  events: { kind: string; at: string; subject: string; message?: string }[];
  bootIds: string[];
  unavailable: string[];
  totals: { samples: number; coveredSec: number; appCrashes: number; kernelCrashes: number; serviceFailures: number; unexpectedShutdowns: number; probeFailures: number; probeRuns: number };
}

const iso = (v: unknown): string => (v instanceof Date ? v : new Date(v as string)).toISOString();
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** One host's health over [from, to); undefined for an unknown host. */
export async function getHostHealth(db: Db, hostId: string, opts: { from: Date; to: Date; resolution: 'raw' | 'hour' }): Promise<HostHealthView | undefined> {
  const [host] = resultRows<{ id: string; hostname: string; boot_id: string | null; boot_seen_at: string | Date | null }>(await db.execute(sql`select id, hostname, boot_id, boot_seen_at from hosts where id = ${hostId}`));
  if (!host) return undefined;
  const from = opts.from.toISOString();
  const to = opts.to.toISOString();
  let series: HealthPoint[];
  if (opts.resolution === 'raw') {
    const rows = resultRows<Record<string, unknown>>(
      await db.execute(sql`
        select period_start, period_end, boot_id, uptime_sec, app_crashes, kernel_crashes, service_failures, unexpected_shutdowns, probe_failures, probe_runs, unavailable,
               extract(epoch from (period_end - period_start))::float8 as covered
        from health_samples where host_id = ${hostId} and period_start >= ${from}::timestamptz and period_start < ${to}::timestamptz
        order by period_start desc, epoch, seq desc limit ${MAX_SERIES_ROWS + 1}`),
    );
    series = rows.map((r) => ({
      start: iso(r.period_start),
      end: iso(r.period_end),
      samples: 1,
      coveredSec: Math.round(Number(r.covered)),
      appCrashes: num(r.app_crashes),
      kernelCrashes: num(r.kernel_crashes),
      serviceFailures: num(r.service_failures),
      unexpectedShutdowns: num(r.unexpected_shutdowns),
      probeFailures: num(r.probe_failures),
      probeRuns: num(r.probe_runs),
      bootIds: r.boot_id ? [r.boot_id as string] : [],
      uptimeSec: num(r.uptime_sec),
      unavailable: (r.unavailable as string[] | null) ?? [],
    }));
  } else {
    const rows = resultRows<Record<string, unknown>>(
      await db.execute(sql`
        select hour, samples, covered_sec, app_crashes, kernel_crashes, service_failures, unexpected_shutdowns, probe_failures, probe_runs, boot_ids
        from health_hourly where host_id = ${hostId} and hour >= date_trunc('hour', ${from}::timestamptz, 'UTC') and hour < ${to}::timestamptz
        order by hour desc limit ${MAX_SERIES_ROWS + 1}`),
    );
    series = rows.map((r) => ({
      start: iso(r.hour),
      end: new Date(new Date(iso(r.hour)).getTime() + 3_600_000).toISOString(),
      samples: Number(r.samples),
      coveredSec: Number(r.covered_sec),
      appCrashes: Number(r.app_crashes),
      kernelCrashes: Number(r.kernel_crashes),
      serviceFailures: Number(r.service_failures),
      unexpectedShutdowns: Number(r.unexpected_shutdowns),
      probeFailures: Number(r.probe_failures),
      probeRuns: Number(r.probe_runs),
      bootIds: (r.boot_ids as string[] | null) ?? [],
    }));
  }
  const truncated = series.length > MAX_SERIES_ROWS;
  series = series.slice(0, MAX_SERIES_ROWS).reverse();

  // Events, boot ids and unavailable sources come from the raw samples (index on host, period_start).
  const [agg] = resultRows<{ boots: string[] | null; unavailable: string[] | null }>(
    await db.execute(sql`
      select (select array_agg(b order by first) from (select boot_id as b, min(period_start) as first from health_samples
                where host_id = ${hostId} and period_start >= ${from}::timestamptz and period_start < ${to}::timestamptz and boot_id <> '' group by boot_id) x) as boots,
             (select array_agg(distinct u order by u) from health_samples, unnest(unavailable) as u
                where host_id = ${hostId} and period_start >= ${from}::timestamptz and period_start < ${to}::timestamptz) as unavailable`),
  );
  const events = resultRows<{ kind: string; at: string | number; subject: string; message: string | null }>(
    await db.execute(sql`
      select e->>'kind' as kind, (e->>'at')::bigint as at, e->>'subject' as subject, e->>'message' as message
      from health_samples, jsonb_array_elements(events) as e
      where host_id = ${hostId} and period_start >= ${from}::timestamptz and period_start < ${to}::timestamptz and jsonb_array_length(events) > 0
      order by (e->>'at')::bigint desc limit ${MAX_EVENTS}`),
  ).map((e) => ({ kind: e.kind, at: new Date(Number(e.at)).toISOString(), subject: e.subject, ...(e.message ? { message: e.message } : {}) }));

  const totals = { samples: 0, coveredSec: 0, appCrashes: 0, kernelCrashes: 0, serviceFailures: 0, unexpectedShutdowns: 0, probeFailures: 0, probeRuns: 0 };
  for (const p of series) {
    totals.samples += p.samples;
    totals.coveredSec += p.coveredSec;
    totals.appCrashes += p.appCrashes ?? 0;
    totals.kernelCrashes += p.kernelCrashes ?? 0;
    totals.serviceFailures += p.serviceFailures ?? 0;
    totals.unexpectedShutdowns += p.unexpectedShutdowns ?? 0;
    totals.probeFailures += p.probeFailures ?? 0;
    totals.probeRuns += p.probeRuns ?? 0;
  }
  return {
    host: { id: host.id, hostname: host.hostname, bootId: host.boot_id, bootSeenAt: host.boot_seen_at ? iso(host.boot_seen_at) : null },
    from,
    to,
    resolution: opts.resolution,
    series,
    truncated,
    events,
    bootIds: agg?.boots ?? [],
    unavailable: agg?.unavailable ?? [],
    totals,
  };
}
