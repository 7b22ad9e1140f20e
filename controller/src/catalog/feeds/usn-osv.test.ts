import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PfError } from '@patchfleet/shared/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsnRecord } from './types';
import { parseUbuntuEcosystem } from './usn-affected';
import { parseUsnOsv, readUsnOsvPath } from './usn-osv';
import { rejection } from '@patchfleet/test/support/errors';

const USN_DIR = fileURLToPath(new URL('../../../../test/fixtures/advisories/usn', import.meta.url));

async function collect(path: string, onProgress?: (done: number, total: number) => void): Promise<UsnRecord[]> {
  const records: UsnRecord[] = [];
  for await (const record of readUsnOsvPath(path, onProgress)) records.push(record);
  return records;
}

function thrown(fn: () => unknown): PfError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PfError);
    return err as PfError;
  }
  throw new Error('expected a PfError');
}

async function fixtureJson(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(USN_DIR, name), 'utf8')) as Record<string, unknown>;
}

describe('readUsnOsvPath over the real fixture directory', () => {
  let records: UsnRecord[];
  const progress: [number, number][] = [];
  beforeAll(async () => {
    records = await collect(USN_DIR, (done, total) => progress.push([done, total]));
  });
  const byId = (id: string): UsnRecord => {
    const record = records.find((r) => r.id === id);
    if (record === undefined) throw new Error(`${id} not parsed`);
    return record;
  };

  it('reads all 37 notices in numeric order and reports file progress', () => {
    expect(records).toHaveLength(37);
    expect(records[0]?.id).toBe('USN-6119-1');
    expect(records.at(-1)?.id).toBe('USN-8300-1');
    expect(progress.at(-1)).toEqual([37, 37]);
    expect(progress).toHaveLength(37);
    expect(records.filter((r) => r.schemaVersion === '1.6.3').map((r) => r.id)).toEqual(['USN-7206-1']);
  });

  it('normalizes all 107 affected entries: 18 through Pro, 41 with a cves_map, every one fixed', () => {
    const affected = records.flatMap((r) => r.affected);
    expect(affected).toHaveLength(107);
    expect(affected.filter((a) => a.pro)).toHaveLength(18);
    expect(affected.filter((a) => a.requiresSubscription === true)).toHaveLength(18);
    expect(affected.filter((a) => a.requiresSubscription === false)).toHaveLength(89);
    expect(affected.filter((a) => a.cves !== null)).toHaveLength(41);
    for (const a of affected) {
      expect(a.fixedVersion).not.toBeNull();
      expect(a.rangeEvents[0]).toEqual({ kind: 'introduced', version: '0' });
      expect(a.binaries.length).toBeGreaterThan(0);
    }
  });

  it('reads USN-6119-1 (openssl): CVEs, per-release fix, binaries and the per-release CVE map', () => {
    const usn = byId('USN-6119-1');
    expect(usn.summary).toBe('openssl, openssl1.0 vulnerabilities');
    expect(usn.published).toBe('2023-05-30T14:16:59Z');
    expect(usn.cveIds).toEqual(['CVE-2023-1255', 'CVE-2023-2650']);
    expect(usn.references[0]).toEqual({ type: 'ADVISORY', url: 'https://ubuntu.com/security/notices/USN-6119-1' });
    const bionic = usn.affected[0];
    expect(bionic).toMatchObject({
      ecosystem: 'Ubuntu:18.04:LTS',
      release: '18.04',
      lts: true,
      pro: false,
      sourcePackage: 'openssl',
      fixedVersion: '1.1.1-1ubuntu2.1~18.04.23',
      availability: 'No subscription required',
      requiresSubscription: false,
    });
    expect(bionic?.affectedVersions).toHaveLength(27);
    expect(bionic?.binaries).toEqual([
      { name: 'libssl1.1', version: '1.1.1-1ubuntu2.1~18.04.23' },
      { name: 'openssl', version: '1.1.1-1ubuntu2.1~18.04.23' },
    ]);
    // The published list repeats the same CVSS vector twice; it is kept once.
    expect(bionic?.cves).toEqual([
      { cveId: 'CVE-2023-2650', ubuntuPriority: 'medium', cvssVectors: ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H'] },
    ]);
    // CVE-2023-1255 only affected 22.04 (the notice text says so); the map agrees.
    const jammy = usn.affected.find((a) => a.ecosystem === 'Ubuntu:22.04:LTS');
    expect(jammy?.fixedVersion).toBe('3.0.2-0ubuntu1.10');
    expect(jammy?.cves?.map((c) => c.cveId)).toEqual(['CVE-2023-1255', 'CVE-2023-2650']);
  });

  it('reads the schema 1.6.3 record USN-7206-1, whose CVEs are in related, not upstream', () => {
    const usn = byId('USN-7206-1');
    expect(usn.cveIds).toEqual(['CVE-2024-12084', 'CVE-2024-12085', 'CVE-2024-12086', 'CVE-2024-12087', 'CVE-2024-12088', 'CVE-2024-12747']);
    expect(usn.otherIds).toEqual([]);
    expect(usn.affected.map((a) => a.ecosystem)).toEqual([
      'Ubuntu:Pro:14.04:LTS', 'Ubuntu:Pro:16.04:LTS', 'Ubuntu:Pro:18.04:LTS', 'Ubuntu:20.04:LTS', 'Ubuntu:22.04:LTS', 'Ubuntu:24.04:LTS',
    ]);
    const trusty = usn.affected[0];
    expect(trusty).toMatchObject({ release: '14.04', pro: true, fixedVersion: '3.1.0-2ubuntu0.4+esm1', requiresSubscription: true, cves: null });
    expect(trusty?.availability).toBe('Available with Ubuntu Pro with Legacy support add-on: https://ubuntu.com/pro');
    expect(usn.affected.find((a) => a.release === '24.04')?.fixedVersion).toBe('3.2.7-1ubuntu1.1');
  });

  it('keeps CVEs from upstream that the cves_map leaves out (USN-6718-1, USN-6719-1)', () => {
    const curl = byId('USN-6718-1');
    expect(curl.cveIds).toEqual(['CVE-2024-2004', 'CVE-2024-2398']);
    expect(curl.affected.flatMap((a) => a.cves ?? []).map((c) => c.cveId)).toEqual(['CVE-2024-2398', 'CVE-2024-2398']);
    const utilLinux = byId('USN-6719-1');
    expect(utilLinux.cveIds).toEqual(['CVE-2024-28085']);
    expect(utilLinux.affected.map((a) => a.cves)).toEqual([[], []]);
  });

  it('reads releases newer and older than LTS: 25.10, 26.04 LTS and Pro 22.04 (USN-8300-1)', () => {
    const usn = byId('USN-8300-1');
    expect(usn.affected.map((a) => [a.release, a.lts, a.pro, a.fixedVersion])).toEqual([
      ['22.04', true, true, '0.1.0+dfsg-1ubuntu0.1~esm1'],
      ['24.04', true, false, '0.12.1+dfsg-1+deb12u1build0.24.04.1'],
      ['25.10', false, false, '1.11.0-1+deb13u1build0.25.10.1'],
      ['26.04', true, false, '1.16.0-1ubuntu0.1'],
    ]);
    expect(usn.affected[0]?.cves?.[0]).toMatchObject({ cveId: 'CVE-2026-40170' });
  });

  it('reads regreSSHion (USN-6859-1, CVE-2024-6387) with its fixed openssh per release', () => {
    const usn = byId('USN-6859-1');
    expect(usn.cveIds).toEqual(['CVE-2024-6387']);
    expect(usn.affected.map((a) => [a.ecosystem, a.sourcePackage])).toEqual([
      ['Ubuntu:22.04:LTS', 'openssh'],
      ['Ubuntu:24.04:LTS', 'openssh'],
    ]);
    expect(usn.affected[1]?.binaries.map((b) => b.name)).toContain('openssh-server');
  });
});

describe('parseUsnOsv id collection', () => {
  it('adds CVEs that only a cves_map names and keeps non-CVE ids apart', async () => {
    const json = await fixtureJson('USN-6119-1.json');
    json['upstream'] = ['UBUNTU-CVE-2023-2650'];
    json['related'] = ['USN-6119-2'];
    const usn = parseUsnOsv(json, 'USN-6119-1.json');
    expect(usn.cveIds).toEqual(['CVE-2023-1255', 'CVE-2023-2650']);
    expect(usn.otherIds).toEqual(['USN-6119-2']);
  });
});

describe('parseUbuntuEcosystem', () => {
  it('splits every ecosystem shape Canonical documents', () => {
    expect(parseUbuntuEcosystem('Ubuntu:24.04:LTS')).toEqual({ release: '24.04', lts: true, pro: false, proService: null, variant: null });
    expect(parseUbuntuEcosystem('Ubuntu:25.04')).toEqual({ release: '25.04', lts: false, pro: false, proService: null, variant: null });
    expect(parseUbuntuEcosystem('Ubuntu:Pro:18.04:LTS')).toEqual({ release: '18.04', lts: true, pro: true, proService: null, variant: null });
    expect(parseUbuntuEcosystem('Ubuntu:Pro:FIPS-updates:22.04:LTS')).toEqual({ release: '22.04', lts: true, pro: true, proService: 'FIPS-updates', variant: null });
    expect(parseUbuntuEcosystem('Ubuntu:Pro:24.04:LTS:Realtime:Kernel')).toEqual({ release: '24.04', lts: true, pro: true, proService: null, variant: 'Realtime:Kernel' });
  });

  it('refuses what is not a Ubuntu ecosystem', () => {
    expect(parseUbuntuEcosystem('Debian:12')).toBeNull();
    expect(parseUbuntuEcosystem('Ubuntu')).toBeNull();
    expect(parseUbuntuEcosystem('Ubuntu:24.4:LTS')).toBeNull();
  });
});

describe('bad USN input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pf-usn-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the file of truncated JSON', async () => {
    const bad = join(dir, 'truncated');
    await mkdir(bad);
    const text = await readFile(join(USN_DIR, 'USN-6119-1.json'), 'utf8');
    await writeFile(join(bad, 'USN-6119-1.json'), text.slice(0, text.length / 2));
    const err = await rejection(collect(bad));
    expect(err.code).toBe('PF_ERR_FEED_PARSE');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(join(bad, 'USN-6119-1.json'));
    expect(err.message).toContain('invalid JSON');
  });

  it('names file, record id and JSON path of a bad fixed version', async () => {
    const json = await fixtureJson('USN-6119-1.json');
    const affected = json['affected'] as { ranges: { events: Record<string, unknown>[] }[] }[];
    const events = affected[0]?.ranges[0]?.events;
    if (events?.[1] === undefined) throw new Error('fixture changed');
    events[1] = { fixed: 123 };
    const err = thrown(() => parseUsnOsv(json, 'usn/USN-6119-1.json'));
    expect(err.code).toBe('PF_ERR_FEED_PARSE');
    expect(err.message).toBe('usn/USN-6119-1.json: record USN-6119-1, at affected[0].ranges[0].events[1].fixed: expected a string, got number 123');
    expect(err.details).toMatchObject({ file: 'usn/USN-6119-1.json', record: 'USN-6119-1', path: 'affected[0].ranges[0].events[1].fixed' });
  });

  it('refuses unknown ecosystems, non-ECOSYSTEM ranges, unknown priorities and a cves_map for another release', async () => {
    const cases: [string, (j: Record<string, unknown>) => void, string][] = [
      ['ecosystem', (j) => { (j['affected'] as { package: { ecosystem: string } }[])[1]!.package.ecosystem = 'Debian:12'; }, 'affected[1].package.ecosystem: "Debian:12" is not a Ubuntu ecosystem'],
      ['range type', (j) => { (j['affected'] as { ranges: { type: string }[] }[])[0]!.ranges[0]!.type = 'SEMVER'; }, 'affected[0].ranges[0].type: range type "SEMVER" is not supported'],
      ['priority', (j) => { (j['affected'] as { database_specific: { cves_map: { cves: { severity: { score: string }[] }[] } } }[])[0]!.database_specific.cves_map.cves[0]!.severity[2]!.score = 'urgent'; }, 'affected[0].database_specific.cves_map.cves[0].severity[2].score: unknown Ubuntu priority "urgent"'],
      ['map ecosystem', (j) => { (j['affected'] as { database_specific: { cves_map: { ecosystem: string } } }[])[0]!.database_specific.cves_map.ecosystem = 'Ubuntu:20.04:LTS'; }, 'differs from package ecosystem "Ubuntu:18.04:LTS"'],
      ['two fixes', (j) => { (j['affected'] as { ranges: { events: unknown[] }[] }[])[0]!.ranges[0]!.events.push({ fixed: '9.9' }); }, 'affected[0].ranges: more than one fixed version'],
      ['bad CVE', (j) => { j['upstream'] = ['UBUNTU-CVE-2023-12']; }, 'upstream[0]: "UBUNTU-CVE-2023-12" is not a well-formed CVE id'],
      ['bad date', (j) => { j['published'] = '2023-05-30 14:16:59'; }, 'published: "2023-05-30 14:16:59" is not an RFC 3339 timestamp'],
    ];
    for (const [name, mutate, fragment] of cases) {
      const json = await fixtureJson('USN-6119-1.json');
      mutate(json);
      const err = thrown(() => parseUsnOsv(json, 'USN-6119-1.json'));
      expect(err.code, name).toBe('PF_ERR_FEED_PARSE');
      expect(err.message, name).toContain('USN-6119-1.json: record USN-6119-1');
      expect(err.message, name).toContain(fragment);
    }
  });

  it('reads a JSON array file and names the index of a bad record', async () => {
    const records = await Promise.all(['USN-6119-1.json', 'USN-7206-1.json', 'USN-8300-1.json'].map(fixtureJson));
    const file = join(dir, 'all.json');
    await writeFile(file, JSON.stringify(records));
    const progress: [number, number][] = [];
    const parsed = await collect(file, (d, t) => progress.push([d, t]));
    expect(parsed.map((r) => r.id)).toEqual(['USN-6119-1', 'USN-7206-1', 'USN-8300-1']);
    expect(parsed[1]?.source).toBe(file);
    expect(progress).toEqual([[1, 3], [2, 3], [3, 3]]);

    delete records[1]?.['summary'];
    await writeFile(file, JSON.stringify(records));
    const err = await rejection(collect(file));
    expect(err.message).toBe(`${file}: record USN-7206-1 (index 1), at summary: expected a string, got missing`);
  });

  it('refuses a file whose name and record id disagree', async () => {
    const sub = join(dir, 'renamed');
    await mkdir(sub);
    await writeFile(join(sub, 'USN-9999-1.json'), JSON.stringify(await fixtureJson('USN-6119-1.json')));
    const err = await rejection(collect(sub));
    expect(err.code).toBe('PF_ERR_FEED_PARSE');
    expect(err.message).toContain('file is named USN-9999-1 but holds USN-6119-1');
  });

  it('reports a missing path as PF_ERR_FEED_IO (retryable)', async () => {
    const err = await rejection(collect(join(dir, 'nope')));
    expect(err.code).toBe('PF_ERR_FEED_IO');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(join(dir, 'nope'));
  });
});
