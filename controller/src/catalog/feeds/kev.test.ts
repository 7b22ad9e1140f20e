import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PfError } from '@patchfleet/shared/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKev, readKevFile } from './kev';
import type { KevCatalog } from './types';

const KEV_FILE = fileURLToPath(new URL('../../../../test/fixtures/advisories/kev/known_exploited_vulnerabilities.json', import.meta.url));

function thrown(fn: () => unknown): PfError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PfError);
    return err as PfError;
  }
  throw new Error('expected a PfError');
}

describe('parseKev on the real catalog', () => {
  let kev: KevCatalog;
  beforeAll(async () => {
    kev = await readKevFile(KEV_FILE);
  });
  const entry = (cve: string) => kev.entries.find((e) => e.cveId === cve);

  it('reads version 2026.08.07 with all 1,662 entries, 338 with known ransomware use', () => {
    expect(kev).toMatchObject({ catalogVersion: '2026.08.07', dateReleased: '2026-08-07T16:45:47.0648Z', count: 1662, title: 'CISA Catalog of Known Exploited Vulnerabilities' });
    expect(kev.entries).toHaveLength(1662);
    expect(kev.entries.filter((e) => e.knownRansomwareCampaignUse)).toHaveLength(338);
    expect(kev.entries[0]?.cveId).toBe('CVE-2026-8037');
    expect(kev.entries.map((e) => e.dateAdded).sort()[0]).toBe('2021-11-03');
    expect(kev.entries.filter((e) => e.vendorProject === 'Microsoft')).toHaveLength(382);
  });

  it('reads the November 2025 Windows kernel zero-day with its deadline', () => {
    expect(entry('CVE-2025-62215')).toMatchObject({
      vendorProject: 'Microsoft',
      product: 'Windows',
      name: 'Microsoft Windows Race Condition Vulnerability',
      dateAdded: '2025-11-12',
      dueDate: '2025-12-03',
      knownRansomwareCampaignUse: false,
      cwes: ['CWE-362'],
    });
    expect(entry('CVE-2023-4966')).toMatchObject({ product: 'NetScaler ADC and NetScaler Gateway', dateAdded: '2023-10-18', dueDate: '2023-11-08', knownRansomwareCampaignUse: true });
    expect(entry('CVE-2021-44228')?.cwes).toEqual(['CWE-20', 'CWE-400', 'CWE-502']);
    expect(entry('CVE-2024-6387')).toBeUndefined();
  });

  it('accepts long CVE sequence numbers and trims padded names', () => {
    expect(entry('CVE-2017-1000353')).toBeDefined();
    expect(entry('CVE-2026-50522')?.name).toBe('Microsoft SharePoint Deserialization of Untrusted Data Vulnerability');
    expect(entry('CVE-2025-33053')?.name).toBe('Microsoft Windows External Control of File Name or Path Vulnerability');
  });
});

describe('bad KEV input', () => {
  let raw: { count: number; vulnerabilities: Record<string, unknown>[] };
  let dir: string;
  beforeAll(async () => {
    raw = JSON.parse(await readFile(KEV_FILE, 'utf8')) as typeof raw;
    dir = await mkdtemp(join(tmpdir(), 'pf-kev-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const mutated = (index: number, field: string, value: unknown): unknown => {
    const copy = structuredClone(raw);
    const target = copy.vulnerabilities[index];
    if (target === undefined) throw new Error('fixture changed');
    target[field] = value;
    return copy;
  };

  it('names file, index and cveID of an entry with a bad date', () => {
    const cve = raw.vulnerabilities[5]?.['cveID'];
    const err = thrown(() => parseKev(mutated(5, 'dueDate', '2025-02-30'), 'kev.json'));
    expect(err.code).toBe('PF_ERR_FEED_PARSE');
    expect(err.status).toBe(400);
    expect(err.message).toBe(`kev.json: record ${String(cve)} (index 5), at dueDate: "2025-02-30" is not a YYYY-MM-DD date`);
    expect(err.details).toMatchObject({ file: 'kev.json', index: 5, record: cve, path: 'dueDate' });
  });

  it('names the index and the bad id of a malformed cveID', () => {
    const err = thrown(() => parseKev(mutated(12, 'cveID', 'CVE-2025-123'), 'kev.json'));
    expect(err.message).toBe('kev.json: record CVE-2025-123 (index 12), at cveID: "CVE-2025-123" is not a CVE id');
    const missing = thrown(() => parseKev(mutated(12, 'cveID', undefined), 'kev.json'));
    expect(missing.message).toBe('kev.json: index 12, at cveID: expected a string, got missing');
  });

  it('refuses ransomware values other than Known/Unknown, a wrong count and duplicates', () => {
    expect(thrown(() => parseKev(mutated(0, 'knownRansomwareCampaignUse', 'Yes'), 'kev.json')).message).toBe(
      'kev.json: record CVE-2026-8037 (index 0), at knownRansomwareCampaignUse: expected "Known" or "Unknown", got "Yes"',
    );
    const short = structuredClone(raw);
    short.vulnerabilities.pop();
    expect(thrown(() => parseKev(short, 'kev.json')).message).toBe('kev.json: at count: says 1662 but the catalog has 1661 entries');
    const twice = mutated(1, 'cveID', 'CVE-2026-8037');
    expect(thrown(() => parseKev(twice, 'kev.json')).message).toBe('kev.json: record CVE-2026-8037 (index 1), at cveID: duplicate of entry 0');
  });

  it('names the file of truncated JSON and reports a missing file as PF_ERR_FEED_IO', async () => {
    const file = join(dir, 'kev.json');
    await writeFile(file, (await readFile(KEV_FILE, 'utf8')).slice(0, 10_000));
    const err = await readKevFile(file).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(PfError);
    expect((err as PfError).code).toBe('PF_ERR_FEED_PARSE');
    expect((err as PfError).message).toContain(`${file}: invalid JSON`);
    const missing = await readKevFile(join(dir, 'none.json')).then(() => null, (e: unknown) => e);
    expect((missing as PfError).code).toBe('PF_ERR_FEED_IO');
  });
});
