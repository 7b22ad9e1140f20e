import { describe, expect, it } from 'vitest';
import { fixtureUsnRecords } from './fixture-catalog';
import { isUbuntuLts, ubuntuEcosystems, ubuntuReleaseEcosystems } from './ubuntu-ecosystems';

describe('ubuntuEcosystems', () => {
  it('maps an LTS release to its standard and Pro ecosystems', () => {
    expect(ubuntuEcosystems('ubuntu', '24.04')).toEqual(['Ubuntu:24.04:LTS', 'Ubuntu:Pro:24.04:LTS']);
    expect(ubuntuEcosystems('ubuntu', '18.04')).toEqual(['Ubuntu:18.04:LTS', 'Ubuntu:Pro:18.04:LTS']);
    expect(ubuntuEcosystems('ubuntu', '26.04')).toEqual(['Ubuntu:26.04:LTS', 'Ubuntu:Pro:26.04:LTS']);
  });

  it('maps an interim release to its standard ecosystem only', () => {
    expect(ubuntuEcosystems('ubuntu', '25.04')).toEqual(['Ubuntu:25.04']);
    expect(ubuntuEcosystems('ubuntu', '25.10')).toEqual(['Ubuntu:25.10']);
    expect(ubuntuEcosystems('ubuntu', '23.04')).toEqual(['Ubuntu:23.04']);
  });

  it('knows nothing of other systems or malformed versions', () => {
    expect(ubuntuEcosystems('debian', '12')).toEqual([]);
    expect(ubuntuEcosystems('ubuntu', 'noble')).toEqual([]);
    expect(ubuntuReleaseEcosystems('Ubuntu', '24.04.2')?.standard).toBe('Ubuntu:24.04:LTS');
  });

  it('agrees with every release ecosystem the real USN records use', async () => {
    const seen = new Set<string>();
    for (const record of await fixtureUsnRecords()) for (const a of record.affected) seen.add(a.ecosystem);
    expect(seen.size).toBeGreaterThan(5);
    for (const ecosystem of seen) {
      const release = /(\d{2}\.\d{2})/.exec(ecosystem)?.[1] ?? '';
      expect(isUbuntuLts(release)).toBe(ecosystem.includes(':LTS'));
      expect(ubuntuEcosystems('ubuntu', release)).toContain(ecosystem);
    }
  });
});
