/** A generated scenario written with --out is the same scenario when loaded back, and an existing file is kept unless forced. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from './generate';
import { FileExistsError, writeScenarioFile } from './generated-file';
import { loadScenario } from './scenario';

describe('writeScenarioFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pf-generated-file-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([1, 3, 12345])('seed %i: loadScenario reads back the generated scenario', async (seed) => {
    const path = join(dir, `gen-${seed}.json`);
    await writeScenarioFile(path, generateScenario(seed), false);
    await expect(loadScenario(path)).resolves.toEqual(generateScenario(seed));
    expect(readFileSync(path, 'utf8')).toMatch(/^\{\n {2}"name": "generated-\d+",\n/);
  });

  it('refuses an existing file unless forced', async () => {
    const path = join(dir, 'taken.json');
    writeFileSync(path, 'mine');
    await expect(writeScenarioFile(path, generateScenario(2), false)).rejects.toThrow(FileExistsError);
    await expect(writeScenarioFile(path, generateScenario(2), false)).rejects.toThrow(`${path} exists: give --force to overwrite it`);
    expect(readFileSync(path, 'utf8')).toBe('mine');
    await writeScenarioFile(path, generateScenario(2), true);
    await expect(loadScenario(path)).resolves.toEqual(generateScenario(2));
  });
});
