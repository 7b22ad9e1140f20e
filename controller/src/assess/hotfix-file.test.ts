import { describe, expect, it } from 'vitest';
import { parseHotFixJson } from '@patchfleet/shared/windows';
import { parseHotfixFile } from './hotfix-file';
import { agentWindowsFixture, assessFixture, thrownPfError } from './test-fixtures';

const badFile = (bytes: Buffer | string, name: string) => thrownPfError(() => parseHotfixFile(bytes, name));

describe('parseHotfixFile', () => {
  it("reads every Get-HotFix dump the agent's parser reads, the same way", () => {
    for (const name of [
      'hotfix.ps51.en-US.raw.json',
      'hotfix.ps51.fr-FR.raw.json',
      'hotfix.ps51.en-US.select.json',
      'hotfix.ps51.en-US.out-file.utf16le.json',
      'hotfix.ps51.en-US.single.json',
      'hotfix.ps7.en-US.cim.json',
      'hotfix.ps7.de-DE.select.json',
    ]) {
      const bytes = agentWindowsFixture(name);
      expect(parseHotfixFile(bytes, name), name).toEqual(parseHotFixJson(bytes));
    }
  });

  it('reads raw 5.1 Get-HotFix | ConvertTo-Json output, leaving out "File 1" entries', () => {
    const fixes = parseHotfixFile(agentWindowsFixture('hotfix.ps51.en-US.raw.json'), 'raw.json');
    expect(fixes.map((f) => f.kb)).toContain('KB5066586');
    expect(fixes.every((f) => /^KB\d+$/.test(f.kb))).toBe(true);
  });

  it('names the line of the entry that has no HotFixID', () => {
    const err = badFile(assessFixture('hotfix.no-hotfixid.json'), 'hotfix.no-hotfixid.json');
    expect(err.code).toBe('PF_ERR_BAD_INPUT_FILE');
    expect(err.message).toBe(
      'hotfix.no-hotfixid.json line 14: entry 2 has no HotFixID (keys: Hotfix, Description, InstalledOn, InstalledBy); is this Get-HotFix output?; expected the output of Get-HotFix | ConvertTo-Json: "{"',
    );
    expect(err.details).toEqual({ file: 'hotfix.no-hotfixid.json', line: 14 });
  });

  it('names the line and column of a JSON syntax error', () => {
    const err = badFile(assessFixture('hotfix.truncated.json'), 'hotfix.truncated.json');
    expect(err.message).toMatch(/^hotfix\.truncated\.json line 17: invalid JSON at column \d+: .*; expected the output of Get-HotFix \| ConvertTo-Json: "\\"InstalledOn\\": {2}\\"1"$/);
  });

  it('says when a dpkg list was given instead', () => {
    const err = badFile(assessFixture('dpkg-list.crlf.tsv'), 'packages.tsv');
    expect(err.message).toMatch(/^packages\.tsv line 1: invalid JSON .*\(this looks like a dpkg package list: that goes with --os ubuntu-YY\.MM --dpkg\)/);
  });

  it('refuses an empty file and JSON of the wrong shape', () => {
    expect(badFile('', 'empty.json').message).toBe('empty.json: output is empty, expected JSON; expected the output of Get-HotFix | ConvertTo-Json');
    expect(badFile('"KB5068861"', 'scalar.json').message).toMatch(/^scalar\.json: expected an array of hotfix objects, got a string/);
    expect(badFile('[{"HotFixID":"KB1234567"}, 42]', 'mixed.json').message).toMatch(/^mixed\.json line 1: entry 1 is a number, expected an object/);
  });

  it('accepts an empty list (a host with no updates installed)', () => {
    expect(parseHotfixFile('[]', 'none.json')).toEqual([]);
  });
});
