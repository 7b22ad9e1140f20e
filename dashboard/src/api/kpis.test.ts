import { describe, expect, it } from 'vitest';
import { kpiFigures } from './kpis';

describe('kpiFigures', () => {
  const t = <T,>(current: T, previous: T) => ({ current, previous });
  it('words each KPI with the previous period beside it', () => {
    const m = (meanDays: number | null, installs: number) => t({ meanDays, installs }, { meanDays: null, installs: 0 });
    const figures = kpiFigures({
      days: 30,
      mttp: { critical: m(2.25, 4), high: m(6, 10), medium: m(null, 0), low: m(null, 0), all: m(4.5, 14) },
      withinSla: t({ share: 0.9, within: 9, hosts: 10 }, { share: 0.8, within: 8, hosts: 10 }),
      exposure: t({ hostDays: 12.5 }, { hostDays: 20 }),
      installs: t({ successRate: 0.95, succeeded: 19, failed: 1, rollbackRate: 0.05, rolledBack: 1 }, { successRate: null, succeeded: 0, failed: 0, rollbackRate: null, rolledBack: 0 }),
      stops: t({ halts: 1, blocks: 2, fleetWideBlocks: 0 }, { halts: 0, blocks: 0, fleetWideBlocks: 0 }),
      staleHosts: t({ count: 3, hosts: 10 }, { count: 1, hosts: 10 }),
    });
    expect(figures.find((f) => f.label === 'Time to patch, critical')).toEqual({ label: 'Time to patch, critical', value: '2.3 d', hint: '4 installs; previous 30 days: —' });
    expect(figures.find((f) => f.label === 'Hosts within SLA')).toMatchObject({ value: '90.0 %', hint: '9 of 10; previous 30 days: 80.0 %' });
    expect(figures.find((f) => f.label === 'Install success')?.value).toBe('95.0 %');
    expect(figures.find((f) => f.label === 'Halts and blocks')?.value).toBe('1 / 2');
    expect(figures).toHaveLength(9);
  });
});
