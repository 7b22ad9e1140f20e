import { describe, expect, it } from 'vitest';
import { matchText, parseLabels, ruleMatchOf, rulesForRing, withoutRule, withRule } from './ring-rules';

const rules = [
  { match: { labels: { canary: 'yes' } }, ringId: 'rg_test' },
  { match: { role: 'db' }, ringId: 'rg_broad' },
  { match: { osId: 'ubuntu', osVersion: '24.04' }, ringId: 'rg_test' },
];

describe('assignment rules on the ring page', () => {
  it("picks the ring's rules with their places in the whole list", () => {
    expect(rulesForRing(rules, 'rg_test').map((r) => r.index)).toEqual([0, 2]);
    expect(rulesForRing(rules, 'rg_fast')).toEqual([]);
  });

  it('adds last and removes by place, leaving the other rings\' rules and order alone', () => {
    const added = withRule(rules, 'rg_fast', { role: 'web' });
    expect(added.map((r) => r.ringId)).toEqual(['rg_test', 'rg_broad', 'rg_test', 'rg_fast']);
    expect(withoutRule(added, 2)).toEqual([rules[0], rules[1], { match: { role: 'web' }, ringId: 'rg_fast' }]);
    expect(rules).toHaveLength(3); // not changed in place
  });

  it('reads labels as key=value pairs and says what is wrong', () => {
    expect(parseLabels(' canary=yes, site = par1 ,')).toEqual({ canary: 'yes', site: 'par1' });
    expect(parseLabels('')).toEqual({});
    expect(parseLabels('canary')).toMatch(/"canary" is not key=value/);
    expect(parseLabels('bad key=1')).toMatch(/not key=value/);
  });

  it('builds a match from the form, blank fields left out, and words it', () => {
    const blank = { labels: '', osId: '', osVersion: '', role: '', criticality: '' };
    expect(ruleMatchOf(blank)).toMatch(/at least one/);
    const m = ruleMatchOf({ ...blank, labels: 'canary=yes', osId: ' ubuntu ', role: 'db' });
    expect(m).toEqual({ labels: { canary: 'yes' }, osId: 'ubuntu', role: 'db' });
    if (typeof m === 'string') throw new Error(m);
    expect(matchText(m)).toBe('labels canary=yes; OS ubuntu; role db');
    expect(matchText({ osVersion: '24.04', criticality: 'high' })).toBe('OS 24.04; criticality high');
  });
});
