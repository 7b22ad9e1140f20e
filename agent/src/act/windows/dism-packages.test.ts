import { describe, expect, it } from 'vitest';
import { parseDismPackageTable, parsePackageIdentity, pickRollupPackage, type DismPackage } from './dism-packages';
import { fixture } from './test-fixtures';
import { toolOutputText } from './tool-output';

const LCU = 'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.4946.1.10';

describe('parseDismPackageTable', () => {
  it('reads every row of the English table', () => {
    const rows = parseDismPackageTable(toolOutputText(fixture('dism-packages.en-US.txt'), 'dism'));
    expect(rows).toHaveLength(9);
    expect(rows[0]).toEqual({
      name: 'Microsoft-OneCore-ApplicationModel-Sync-Desktop-FOD-Package~31bf3856ad364e35~amd64~~10.0.26100.1',
      state: 'installed',
      stateText: 'Installed',
      releaseType: 'OnDemand Pack',
      installTime: '4/1/2024 5:14 AM',
    });
    expect(rows.find((r) => r.name === LCU)).toEqual({ name: LCU, state: 'installed', stateText: 'Installed', releaseType: 'Security Update', installTime: '8/13/2025 9:20 AM' });
    expect(rows.map((r) => r.state)).toEqual(['installed', 'installed', 'installed', 'installed', 'install-pending', 'superseded', 'installed', 'staged', 'installed']);
  });

  it('reads the German table into the same names and states', () => {
    const en = parseDismPackageTable(toolOutputText(fixture('dism-packages.en-US.txt'), 'dism'));
    const de = parseDismPackageTable(toolOutputText(fixture('dism-packages.de-DE.txt'), 'dism'));
    expect(de.map((r) => r.state)).toEqual(en.map((r) => r.state));
    expect(de.map((r) => r.name.replace('de-DE', 'en-US'))).toEqual(en.map((r) => r.name));
    expect(de.find((r) => r.name === LCU)).toEqual({ name: LCU, state: 'installed', stateText: 'Installiert', releaseType: 'Sicherheitsupdate', installTime: '13.08.2025 09:20' });
    expect(de[4]).toMatchObject({ stateText: 'Installation ausstehend', state: 'install-pending' });
  });

  it('reads a German table in code page 850 (umlauts garbled, names and states intact)', () => {
    const text = toolOutputText(fixture('dism-packages.de-DE.cp850.txt'), 'dism');
    expect(text).not.toContain('Paketidentität');
    const rows = parseDismPackageTable(text);
    expect(rows).toEqual(parseDismPackageTable(toolOutputText(fixture('dism-packages.de-DE.txt'), 'dism')));
  });

  it('reads a header that is only underlined', () => {
    const rows = parseDismPackageTable(toolOutputText(fixture('dism-packages.en-US.no-top-rule.txt'), 'dism'));
    expect(rows.map((r) => r.name)).toEqual([
      'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.4652.1.9',
      LCU,
      'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.5074.1.2',
    ]);
  });

  it('keeps an unknown state as unknown, never as installed', () => {
    const text = ['--- | --- | --- | ---', 'Package Identity | State | Release Type | Install Time', '--- | --- | --- | ---', `${LCU} | Installé | Update | x`].join('\n');
    expect(parseDismPackageTable(text)[0]).toMatchObject({ state: 'unknown', stateText: 'Installé' });
  });

  it('reads an empty table', () => {
    expect(parseDismPackageTable('---- | ----\nPackage Identity | State\n---- | ----\n\nThe operation completed successfully.\n')).toEqual([]);
  });

  it('refuses output without a table, and rows that do not fit the header', () => {
    expect(() => parseDismPackageTable(toolOutputText(fixture('dism-get-packages.en-US.elevation.txt'), 'dism'))).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_INPUT' }));
    expect(() => parseDismPackageTable('Package Identity : x\nState : Installed\n')).toThrow(/no package table/);
    expect(() => parseDismPackageTable('--- | ---\nA | B\n--- | ---\nx | y | z\n')).toThrow(/line 4 has 3 cells/);
  });
});

describe('pickRollupPackage', () => {
  const rows = parseDismPackageTable(toolOutputText(fixture('dism-packages.en-US.txt'), 'dism'));

  it('picks the installed LCU of the build', () => {
    expect(pickRollupPackage(rows, '26100.4946')?.name).toBe(LCU);
  });

  it('ignores superseded and staged LCUs, and other packages of the build', () => {
    expect(pickRollupPackage(rows, '26100.4652')).toBeUndefined();
    expect(pickRollupPackage(rows, '26100.5074')).toBeUndefined();
    expect(pickRollupPackage(rows, '26100.4940')).toBeUndefined(); // ServicingStack and KB5064401, not RollupFix
  });

  it('does not take 26100.49 for 26100.4946', () => {
    expect(pickRollupPackage(rows, '26100.49')).toBeUndefined();
  });

  it('prefers the highest version when a build is listed twice', () => {
    const twice: DismPackage[] = [
      { name: 'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.4946.1.9', state: 'installed', stateText: 'Installed', releaseType: '', installTime: '' },
      { name: LCU, state: 'installed', stateText: 'Installed', releaseType: '', installTime: '' },
    ];
    expect(pickRollupPackage(twice, '26100.4946')?.name).toBe(LCU);
  });

  it('refuses a malformed build', () => {
    for (const b of ['26100', '26100.4946.1', '10.0.26100.4946', 'KB5063878', '']) {
      expect(() => pickRollupPackage(rows, b)).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_INPUT' }));
    }
  });

  it('splits package identities', () => {
    expect(parsePackageIdentity(LCU)).toEqual({ family: 'Package_for_RollupFix', publicKeyToken: '31bf3856ad364e35', arch: 'amd64', language: '', version: '26100.4946.1.10' });
    expect(parsePackageIdentity('not a package')).toBeUndefined();
  });
});
