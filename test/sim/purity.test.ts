import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

/** The simulator's core: no controller, no agent, no database, no clock; only these imports. */
const CORE = ['scenario', 'truth', 'streams', 'fleet-model', 'metrics', 'generate'];
const ALLOWED = ['@sinclair/typebox', '@sinclair/typebox/value', '@patchfleet/shared/errors', 'node:fs/promises', '../bench/rng', ...CORE.map((m) => `./${m}`)];

describe('the simulator core stays pure', () => {
  it.each(CORE)('%s.ts imports only the allowed modules and reads no clock', async (name) => {
    const text = await readFile(new URL(`./${name}.ts`, import.meta.url), 'utf8');
    const imports = [...text.matchAll(/(?:from |import\()'([^']+)'/g)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => !ALLOWED.includes(i!))).toEqual([]);
    expect(text).not.toMatch(/Date\.now\(|new Date\(|setTimeout\(|Math\.random\(|performance\.now\(/);
  });
});
