/**
 * The overview's fleet figures. `GET /api/v1/kpis` (MTTP by tier, share
 * within SLA, exposure-days, install success and rollback rates) is being
 * built; until a controller answers it, the figures are the ones the other
 * routes already give. This function is the one place that changes when it lands.
 */
import { ApiError, get } from './client';
import { hosts, patches, rollouts } from './endpoints';

export interface Figure {
  label: string;
  value: string;
  hint?: string;
}

export interface FleetFigures {
  source: 'kpis' | 'derived';
  /** The period the figures cover, in days (the KPI report's). */
  days?: number;
  figures: Figure[];
}

/** `mttpByTier.critical` -> `Mttp by tier: critical`. */
function labelOf(path: string[]): string {
  const words = path.map((p) => p.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase());
  const [first = '', ...rest] = words;
  const head = first.charAt(0).toUpperCase() + first.slice(1);
  return rest.length ? `${head}: ${rest.join(', ')}` : head;
}

function show(v: number, key: string): string {
  if (/rate|share|ratio/i.test(key) && v >= 0 && v <= 1) return `${(v * 100).toFixed(1)} %`;
  return Number.isInteger(v) ? v.toLocaleString() : v.toFixed(2);
}

/** Every number in the /kpis answer (two levels deep) as a labelled figure, whatever its final shape. */
export function figuresOf(body: unknown, path: string[] = []): Figure[] {
  if (typeof body === 'number') return [{ label: labelOf(path), value: show(body, path.join('.')) }];
  if (body === null || typeof body !== 'object' || Array.isArray(body) || path.length > 2) return [];
  return Object.entries(body as Record<string, unknown>).flatMap(([k, v]) => figuresOf(v, [...path, k]));
}

type Trend<T> = { current: T; previous: T };

/** `GET /api/v1/kpis` as it is being built (each figure for the period and the one before). */
export interface KpiReport {
  days: number;
  mttp: Record<'critical' | 'high' | 'medium' | 'low' | 'all', Trend<{ meanDays: number | null; installs: number }>>;
  withinSla: Trend<{ share: number | null; within: number; hosts: number }>;
  exposure: Trend<{ hostDays: number }>;
  installs: Trend<{ successRate: number | null; succeeded: number; failed: number; rollbackRate: number | null; rolledBack: number }>;
  stops: Trend<{ halts: number; blocks: number; fleetWideBlocks: number }>;
  staleHosts: Trend<{ count: number; hosts: number }>;
}

function isKpiReport(body: unknown): body is KpiReport {
  const b = body as Partial<KpiReport> | null;
  return typeof b?.days === 'number' && !!b.mttp?.all && !!b.withinSla && !!b.exposure && !!b.installs && !!b.stops && !!b.staleHosts;
}

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
const days = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} d`);

/** The report's figures in words, each with the previous period beside it. */
export function kpiFigures(k: KpiReport): Figure[] {
  const before = `previous ${k.days} days`;
  const mttp = (tier: keyof KpiReport['mttp'], label: string): Figure => ({
    label,
    value: days(k.mttp[tier].current.meanDays),
    hint: `${k.mttp[tier].current.installs} installs; ${before}: ${days(k.mttp[tier].previous.meanDays)}`,
  });
  const i = k.installs;
  return [
    mttp('critical', 'Time to patch, critical'),
    mttp('high', 'Time to patch, high'),
    mttp('all', 'Time to patch, all'),
    { label: 'Hosts within SLA', value: pct(k.withinSla.current.share), hint: `${k.withinSla.current.within} of ${k.withinSla.current.hosts}; ${before}: ${pct(k.withinSla.previous.share)}` },
    { label: 'Exposure (critical and high)', value: `${k.exposure.current.hostDays.toFixed(1)} host-days`, hint: `${before}: ${k.exposure.previous.hostDays.toFixed(1)}` },
    { label: 'Install success', value: pct(i.current.successRate), hint: `${i.current.succeeded} succeeded, ${i.current.failed} failed; ${before}: ${pct(i.previous.successRate)}` },
    { label: 'Rollbacks', value: pct(i.current.rollbackRate), hint: `${i.current.rolledBack} rolled back; ${before}: ${pct(i.previous.rollbackRate)}` },
    { label: 'Halts and blocks', value: `${k.stops.current.halts} / ${k.stops.current.blocks}`, hint: `${k.stops.current.fleetWideBlocks} fleet-wide blocks; ${before}: ${k.stops.previous.halts} / ${k.stops.previous.blocks}` },
    { label: 'Hosts not seen for a week', value: String(k.staleHosts.current.count), hint: `of ${k.staleHosts.current.hosts}; ${before}: ${k.staleHosts.previous.count}` },
  ];
}

async function derived(): Promise<FleetFigures> {
  const [all, missing, list] = await Promise.all([hosts.search('', 500), patches.list('', true, 500), rollouts.list()]);
  const online = all.items.filter((h) => h.online).length;
  const byState = (s: string) => list.items.filter((r) => r.state === s).length;
  const hostsMissing = missing.items.reduce((n, p) => n + p.affectedHosts, 0);
  const sampled = all.total > all.items.length ? ` (of the first ${all.items.length})` : '';
  return {
    source: 'derived',
    figures: [
      { label: 'Hosts', value: all.total.toLocaleString() },
      { label: 'Online now', value: online.toLocaleString(), hint: `hosts with a live session${sampled}` },
      { label: 'Patches missing somewhere', value: missing.total.toLocaleString() },
      { label: 'Missing host-patch pairs', value: hostsMissing.toLocaleString(), hint: missing.total > missing.items.length ? `over the first ${missing.items.length} patches` : undefined },
      { label: 'Rollouts active', value: byState('active').toLocaleString() },
      { label: 'Rollouts halted', value: byState('halted').toLocaleString(), hint: 'a health gate or a person stopped them' },
      { label: 'Rollouts completed', value: byState('completed').toLocaleString(), hint: `of the last ${list.items.length}` },
    ].map((f) => (f.hint ? f : { label: f.label, value: f.value })),
  };
}

/** The fleet's figures: /api/v1/kpis when the controller has it, else what the host, patch and rollout lists give. */
export async function fleetFigures(): Promise<FleetFigures> {
  try {
    const body = await get<unknown>('/api/v1/kpis');
    return isKpiReport(body) ? { source: 'kpis', days: body.days, figures: kpiFigures(body) } : { source: 'kpis', figures: figuresOf(body) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return derived();
    throw err;
  }
}
