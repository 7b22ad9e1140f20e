import { describe, expect, it } from 'vitest';
import { isPfError } from '@patchfleet/shared/errors';
import { loadConfig } from '../config';
import { DEFAULT_SLA, resolveSla } from './sla';

describe('SLA', () => {
  it('defaults to 2, 7, 30 and 90 days', () => {
    expect(DEFAULT_SLA).toEqual({ critical: 2, high: 7, medium: 30, low: 90 });
    expect(resolveSla(undefined)).toEqual(DEFAULT_SLA);
    expect(resolveSla(null)).toEqual(DEFAULT_SLA);
  });

  it('takes configured tiers and keeps the defaults for the rest', () => {
    expect(resolveSla({ critical: 1, low: 60 })).toEqual({ critical: 1, high: 7, medium: 30, low: 60 });
    expect(resolveSla({ critical: 0.5 }).critical).toBe(0.5);
    expect(Object.isFrozen(resolveSla({}))).toBe(true);
  });

  it('refuses a more urgent tier with a longer deadline', () => {
    let caught: unknown;
    try {
      resolveSla({ critical: 10 });
    } catch (err) {
      caught = err;
    }
    expect(isPfError(caught) && caught.code).toBe('PF_ERR_CONFIG');
    expect((caught as Error).message).toBe('invalid configuration: sla.critical (10 days) is longer than sla.high (7 days)');
  });

  it('is an optional block of the controller config, validated there', () => {
    expect(loadConfig({}, {}).sla).toBeUndefined();
    expect(loadConfig({ sla: { critical: 1, high: 5 } } as never, {}).sla).toEqual({ critical: 1, high: 5 });
    expect(() => loadConfig({ sla: { critical: -1 } } as never, {})).toThrow(/sla\/critical must be >= 0/);
    expect(() => loadConfig({ sla: { urgent: 1 } } as never, {})).toThrow(/unknown setting "urgent"/);
  });
});
