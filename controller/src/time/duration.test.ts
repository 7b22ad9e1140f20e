import { describe, it, expect } from 'vitest';
import { parseDurationSec } from './duration';

describe('parseDurationSec', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604_800],
    ['2w', 1_209_600],
    ['45', 45],
    [' 3H ', 10_800],
    ['1 d', 86_400],
  ])('reads %j as %i seconds', (text, sec) => {
    expect(parseDurationSec(text)).toBe(sec);
  });

  it.each(['', 'abc', '1.5h', '-1h', '1y', '10 minutes', 'h', '1h30m'])('refuses %j with PF_ERR_VALIDATION', (text) => {
    expect(() => parseDurationSec(text)).toThrow(expect.objectContaining({ code: 'PF_ERR_VALIDATION', status: 400 }));
  });

  it('refuses zero and values past the safe integer range', () => {
    expect(() => parseDurationSec('0s')).toThrow(/positive/);
    expect(() => parseDurationSec('99999999999999999999w')).toThrow(expect.objectContaining({ code: 'PF_ERR_VALIDATION' }));
  });

  it('does not echo a long input whole', () => {
    const text = `x${'y'.repeat(500)}`;
    expect(() => parseDurationSec(text)).toThrow(expect.objectContaining({ message: expect.not.stringContaining('y'.repeat(100)) }));
  });
});
