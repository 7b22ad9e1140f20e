import { describe, expect, it } from 'vitest';
import { claimValues, parseRoleMap, roleFromClaims } from './role-map';

describe('OIDC role map', () => {
  it('reads value=role lists, JSON objects and config-file objects', () => {
    expect([...parseRoleMap('pf-admins=admin, pf-ops=operator,pf-helpdesk=helpdesk')]).toEqual([['pf-admins', 'admin'], ['pf-ops', 'operator'], ['pf-helpdesk', 'helpdesk']]);
    // The last '=' splits, so values may hold '=' (and JSON allows commas too).
    expect([...parseRoleMap('team=a=operator')]).toEqual([['team=a', 'operator']]);
    expect([...parseRoleMap('{"cn=admins,ou=groups,dc=example":"admin"}')]).toEqual([['cn=admins,ou=groups,dc=example', 'admin']]);
    expect([...parseRoleMap({ admins: 'admin' })]).toEqual([['admins', 'admin']]);
  });

  it('refuses unknown roles, malformed entries and an empty map, naming the problem', () => {
    expect(() => parseRoleMap('pf-admins=root')).toThrow(/"root", which is not a role/);
    expect(() => parseRoleMap('pf-admins')).toThrow(/not <claim value>=<role>/);
    expect(() => parseRoleMap(' , ')).toThrow(/maps no claim value/);
    expect(() => parseRoleMap('{"a":')).toThrow(/not valid JSON/);
    expect(() => parseRoleMap('{"a":"root"}')).toThrow(expect.objectContaining({ code: 'PF_ERR_CONFIG' }));
  });

  it('takes the highest mapped role of a list claim, a single string, or a nested claim', () => {
    const map = parseRoleMap('pf-admins=admin,pf-ops=operator,pf-helpdesk=helpdesk');
    expect(roleFromClaims({ groups: ['staff', 'pf-helpdesk', 'pf-admins', 'pf-ops'] }, 'groups', map)).toBe('admin');
    expect(roleFromClaims({ patchfleet_role: 'pf-ops' }, 'patchfleet_role', map)).toBe('operator');
    expect(roleFromClaims({ realm_access: { roles: ['pf-helpdesk'] } }, 'realm_access.roles', map)).toBe('helpdesk');
    expect(roleFromClaims({ groups: ['staff'] }, 'groups', map)).toBeUndefined();
    expect(roleFromClaims({}, 'groups', map)).toBeUndefined();
    // Values are matched exactly: no case folding, no prefix match.
    expect(roleFromClaims({ groups: ['PF-ADMINS', 'pf-admins-old'] }, 'groups', map)).toBeUndefined();
  });

  it('reads claim values as strings and ignores objects', () => {
    expect(claimValues({ a: [1, 'x', { y: 1 }, null, true] }, 'a')).toEqual(['1', 'x', 'true']);
    expect(claimValues({ 'a.b': 'flat' }, 'a.b')).toEqual(['flat']);
  });
});
