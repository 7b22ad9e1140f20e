import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Errors } from './catalogue';
import { renderErrorDocs } from './docs';

describe('error catalogue', () => {
  const defs = Object.entries(Errors);

  it('holds each code once', () => {
    const seen = new Map<string, string>();
    const repeated: string[] = [];
    for (const [name, def] of defs) {
      const before = seen.get(def.code);
      if (before !== undefined) repeated.push(`${def.code} (${before}, ${name})`);
      seen.set(def.code, name);
    }
    expect(repeated).toEqual([]);
    expect(seen.size).toBeGreaterThan(80);
  });

  it('gives every code the PF_ERR_ form, an HTTP status and a message', () => {
    for (const [name, def] of defs) {
      expect(def.code, name).toMatch(/^PF_ERR_[A-Z0-9_]+$/);
      expect(def.status, name).toBeGreaterThanOrEqual(400);
      expect(def.status, name).toBeLessThan(600);
      expect(def.message.length, name).toBeGreaterThan(3);
    }
  });

  it('is what docs/errors.md lists (run `pnpm errors:docs` after a change)', () => {
    const file = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');
    expect(file).toBe(renderErrorDocs());
  });
});
