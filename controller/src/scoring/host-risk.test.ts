import { describe, expect, it } from 'vitest';
import { hostRiskContext } from './host-risk';

describe('hostRiskContext', () => {
  it('defaults to a medium-criticality internal host', () => {
    expect(hostRiskContext({})).toEqual({ criticality: 'medium', internetFacing: false, warnings: [] });
    expect(hostRiskContext({ role: 'web', ring: 'broad' })).toEqual({ criticality: 'medium', internetFacing: false, warnings: [] });
  });

  it('reads criticality as a word or as 1-4, in any case and with spaces', () => {
    expect(hostRiskContext({ criticality: 'high' }).criticality).toBe('high');
    expect(hostRiskContext({ criticality: ' Critical ' }).criticality).toBe('critical');
    expect(hostRiskContext({ criticality: 'LOW' }).criticality).toBe('low');
    expect(['1', '2', '3', '4'].map((n) => hostRiskContext({ criticality: n }).criticality)).toEqual(['low', 'medium', 'high', 'critical']);
  });

  it('keeps the default and warns on a value it cannot read', () => {
    expect(hostRiskContext({ criticality: 'urgent' })).toEqual({
      criticality: 'medium',
      internetFacing: false,
      warnings: ['label criticality="urgent" is not low, medium, high, critical or 1-4; using medium'],
    });
    expect(hostRiskContext({ criticality: '5' }).criticality).toBe('medium');
    expect(hostRiskContext({ criticality: '' }).warnings).toHaveLength(1);
  });

  it('marks a host internet-facing from exposure=internet or internet-facing=true', () => {
    expect(hostRiskContext({ exposure: 'internet' }).internetFacing).toBe(true);
    expect(hostRiskContext({ exposure: 'Internet' }).internetFacing).toBe(true);
    expect(hostRiskContext({ exposure: 'dmz' }).internetFacing).toBe(true);
    expect(hostRiskContext({ 'internet-facing': 'true' }).internetFacing).toBe(true);
    expect(hostRiskContext({ 'internet-facing': 'yes' }).internetFacing).toBe(true);
    expect(hostRiskContext({ exposure: 'internal' })).toEqual({ criticality: 'medium', internetFacing: false, warnings: [] });
    expect(hostRiskContext({ 'internet-facing': 'false' })).toEqual({ criticality: 'medium', internetFacing: false, warnings: [] });
  });

  it('counts a host as internet-facing when either label says so', () => {
    expect(hostRiskContext({ exposure: 'internal', 'internet-facing': 'true' }).internetFacing).toBe(true);
    expect(hostRiskContext({ exposure: 'internet', 'internet-facing': 'false' }).internetFacing).toBe(true);
  });

  it('warns on exposure values it cannot read', () => {
    const r = hostRiskContext({ exposure: 'partly', 'internet-facing': 'maybe', criticality: '3' });
    expect(r).toMatchObject({ criticality: 'high', internetFacing: false });
    expect(r.warnings).toEqual([
      'label exposure="partly" is not "internet" or "internal"; not counted as internet-facing',
      'label internet-facing="maybe" is not true or false; not counted as internet-facing',
    ]);
  });
});
