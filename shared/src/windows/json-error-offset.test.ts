import { describe, expect, it } from 'vitest';
import { jsonErrorOffset } from './json-error-offset';

describe('jsonErrorOffset', () => {
  it('is undefined for valid JSON of every kind', () => {
    for (const ok of ['[]', '{}', ' {"a": [1, -2.5e3, true, false, null, "x\\u00e4\\n\\/"]} ', '"s"', '0', '[{"a":{}}]']) {
      expect(jsonErrorOffset(ok), ok).toBeUndefined();
      expect(() => JSON.parse(ok)).not.toThrow();
    }
  });

  it('points at the first offending character', () => {
    expect(jsonErrorOffset('[1,}')).toBe(3);
    expect(jsonErrorOffset('{"a":1,}')).toBe(7);
    expect(jsonErrorOffset('WARNING: x')).toBe(0);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset('[1] x')).toBe(4);
    expect(jsonErrorOffset('["a\\x"]')).toBe(3);
    expect(jsonErrorOffset('[tru]')).toBe(1);
  });

  it('points past the end of cut-off output', () => {
    expect(jsonErrorOffset('[{"HotFixID":"KB1"')).toBe(18);
    expect(jsonErrorOffset('["abc')).toBe(5);
  });
});
