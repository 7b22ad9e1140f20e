/**
 * Which Patchfleet role an identity provider's claims grant. The setting
 * (oidcRoleMap) maps values of one claim (oidcRoleClaim, e.g. `groups` or
 * `patchfleet_role`) to roles. When several values map, the highest role
 * wins; when none does, the user gets no role and is refused.
 */
import { PfError, Errors } from '@patchfleet/shared/errors';
import { ROLES, type Role } from '../db/schema/api-tokens';

/** Claim value -> role. */
export type RoleMap = ReadonlyMap<string, Role>;

const RANK: Record<Role, number> = { helpdesk: 1, operator: 2, admin: 3 };
const isRole = (v: string): v is Role => (ROLES as readonly string[]).includes(v);

/**
 * Reads oidcRoleMap: `pf-admins=admin,pf-ops=operator` (the last `=` of an
 * entry splits it), a JSON object `{"cn=admins,ou=groups": "admin"}` (for
 * values holding commas), or that object as it stands in a config file.
 */
export function parseRoleMap(setting: string | Readonly<Record<string, string>>): RoleMap {
  let entries: Array<[string, string]>;
  if (typeof setting === 'string' && setting.trim().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(setting);
    } catch (err) {
      throw new PfError(Errors.CONFIG, `invalid configuration: oidcRoleMap is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new PfError(Errors.CONFIG, 'invalid configuration: oidcRoleMap JSON must be an object of claim value -> role');
    entries = Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
  } else if (typeof setting === 'string') {
    entries = setting
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((entry) => {
        const at = entry.lastIndexOf('=');
        if (at <= 0) throw new PfError(Errors.CONFIG, `invalid configuration: oidcRoleMap entry "${entry}" is not <claim value>=<role>`);
        return [entry.slice(0, at).trim(), entry.slice(at + 1).trim()];
      });
  } else {
    entries = Object.entries(setting);
  }
  const map = new Map<string, Role>();
  for (const [value, role] of entries) {
    if (!isRole(role)) throw new PfError(Errors.CONFIG, `invalid configuration: oidcRoleMap maps "${value}" to "${role}", which is not a role (${ROLES.join(', ')})`);
    if (value === '') throw new PfError(Errors.CONFIG, 'invalid configuration: oidcRoleMap has an empty claim value');
    map.set(value, role);
  }
  if (map.size === 0) throw new PfError(Errors.CONFIG, 'invalid configuration: oidcRoleMap maps no claim value to a role, so nobody could sign in');
  return map;
}

/** The claim's value at `path` (dots walk into objects, e.g. `realm_access.roles`), as strings; [] when absent. */
export function claimValues(claims: Readonly<Record<string, unknown>>, path: string): string[] {
  let at: unknown = path in claims ? claims[path] : undefined;
  if (at === undefined && path.includes('.')) {
    at = claims;
    for (const part of path.split('.')) at = typeof at === 'object' && at !== null && !Array.isArray(at) ? (at as Record<string, unknown>)[part] : undefined;
  }
  const values = Array.isArray(at) ? at : [at];
  return values.filter((v): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean').map(String);
}

/** The highest role the claim's values map to, or undefined when none maps. */
export function roleFromClaims(claims: Readonly<Record<string, unknown>>, claim: string, map: RoleMap): Role | undefined {
  let best: Role | undefined;
  for (const value of claimValues(claims, claim)) {
    const role = map.get(value);
    if (role && (!best || RANK[role] > RANK[best])) best = role;
  }
  return best;
}
