import { describe, expect, it } from 'vitest';
import { withQuery } from './client';

describe('withQuery', () => {
  it('adds the given values, encoded, and leaves out empty ones', () => {
    expect(withQuery('/api/v1/hosts')).toBe('/api/v1/hosts');
    expect(withQuery('/api/v1/hosts', { q: '10.1.2.3', limit: 50, offset: undefined, x: null, y: '' })).toBe('/api/v1/hosts?q=10.1.2.3&limit=50');
    expect(withQuery('/api/v1/patches', { q: 'a&b c', affected: true })).toBe('/api/v1/patches?q=a%26b+c&affected=true');
  });
});
