import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDpkgListFile, readInputFile } from './inputs';

describe('readInputFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pf-assess-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns the bytes of a file, ready for the parsers', async () => {
    const path = join(dir, 'pkgs.tsv');
    writeFileSync(path, 'foo\t1.0\tfoo\t1.0\n');
    expect(parseDpkgListFile(await readInputFile(path), path)).toHaveLength(1);
  });

  it('names the file it cannot read, and why', async () => {
    await expect(readInputFile(join(dir, 'missing.tsv'))).rejects.toMatchObject({ code: 'PF_ERR_BAD_INPUT_FILE', message: `${join(dir, 'missing.tsv')}: cannot read it: no such file` });
    await expect(readInputFile(dir)).rejects.toMatchObject({ code: 'PF_ERR_BAD_INPUT_FILE', message: `${dir}: cannot read it: it is a directory` });
  });
});
