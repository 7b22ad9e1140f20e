import { describe, expect, it } from 'vitest';
import { auditHref, filterFromQuery, isFiltered, isoToLocalInput, localInputToIso } from './audit-filter';

describe('audit filter in the URL', () => {
  it('reads known, non-blank filters from the query and ignores the rest', () => {
    const q = new URLSearchParams('actor=user%3Aada&action=%20ring.update%20&targetId=&page=3&since=2026-11-23T10%3A00%3A00.000Z');
    expect(filterFromQuery(q)).toEqual({ actor: 'user:ada', action: 'ring.update', since: '2026-11-23T10:00:00.000Z' });
    expect(filterFromQuery(new URLSearchParams(''))).toEqual({});
  });

  it('writes a shareable href in a stable order, and round-trips', () => {
    const f = { until: '2026-11-24T00:00:00.000Z', action: 'freeze.create', actor: 'user:ada', targetType: ' ' };
    const href = auditHref(f);
    expect(href).toBe('/audit?actor=user%3Aada&action=freeze.create&until=2026-11-24T00%3A00%3A00.000Z');
    expect(filterFromQuery(new URLSearchParams(href.split('?')[1]))).toEqual({ actor: 'user:ada', action: 'freeze.create', until: '2026-11-24T00:00:00.000Z' });
    expect(auditHref({})).toBe('/audit');
    expect(isFiltered({})).toBe(false);
    expect(isFiltered({ actor: 'system' })).toBe(true);
  });

  it("converts between datetime-local values (the viewer's zone) and ISO instants", () => {
    const iso = localInputToIso('2026-11-23T14:05');
    expect(iso).toMatch(/^2026-11-2[234]T\d\d:\d\d:00\.000Z$/);
    expect(isoToLocalInput(iso)).toBe('2026-11-23T14:05');
    expect(localInputToIso('')).toBe('');
    expect(localInputToIso('not a time')).toBeUndefined();
    expect(isoToLocalInput(undefined)).toBe('');
    expect(isoToLocalInput('garbage')).toBe('');
  });
});
