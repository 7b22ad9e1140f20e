/**
 * The overview's fleet figures from `GET /api/v1/kpis` (MTTP by tier, share
 * within SLA, exposure-days, install success and rollback rates, halts and
 * blocks, hosts not seen for a week), each with the previous period beside it.
 */
import { fleet } from './endpoints';
import type { Kpis } from './types';

/** What kpiFigures reads of the report. */
export type KpiFiguresInput = Pick<Kpis, 'days' | 'mttp' | 'withinSla' | 'exposure' | 'installs' | 'stops' | 'staleHosts'>;

export interface Figure {
  label: string;
  value: string;
  hint?: string;
}

export interface FleetFigures {
  /** The period the figures cover, in days. */
  days: number;
  figures: Figure[];
}

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
const days = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} d`);

/** The report's figures in words, each with the previous period beside it. */
export function kpiFigures(k: KpiFiguresInput): Figure[] {
  const before = `previous ${k.days} days`;
  const mttp = (tier: keyof Kpis['mttp'], label: string): Figure => ({
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

/** The fleet's figures over the last `days` days (default 7), from GET /api/v1/kpis. */
export async function fleetFigures(days = 7): Promise<FleetFigures> {
  const report = await fleet.kpis(days);
  return { days: report.days, figures: kpiFigures(report) };
}
