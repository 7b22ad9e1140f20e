import { describe, expect, it } from 'vitest';
import { figuresOf } from './kpis';

describe('figuresOf', () => {
  it('labels every number of a /kpis answer two levels deep, rates as percentages', () => {
    expect(figuresOf({ hosts: 1200, installSuccessRate: 0.982, mttpDaysByTier: { critical: 2.5, high: 6 }, note: 'text', list: [1, 2] })).toEqual([
      { label: 'Hosts', value: (1200).toLocaleString() },
      { label: 'Install success rate', value: '98.2 %' },
      { label: 'Mttp days by tier: critical', value: '2.50' },
      { label: 'Mttp days by tier: high', value: '6' },
    ]);
  });

  it('gives nothing for shapes without numbers', () => {
    expect(figuresOf(null)).toEqual([]);
    expect(figuresOf({ a: { b: { c: { d: 1 } } } })).toEqual([]);
  });
});
