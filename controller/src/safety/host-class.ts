/**
 * The host class in SQL: the same string hostClassOf(assignableHost(row))
 * gives in rollout/assign-rings.ts (OS id x build or OS version x model x
 * role label), so cohorts and blocks group hosts set-based, in one
 * statement, exactly as ring assignment sees them. host-class.test.ts holds
 * the two in step.
 */
import { sql, type SQL } from 'drizzle-orm';

/** A facts string field as assignableHost's str() reads it: only a non-empty string counts. */
function factText(alias: string, path: [string, string]): SQL {
  const node = sql.raw(`${alias}.facts -> '${path[0]}' -> '${path[1]}'`);
  const text = sql.raw(`${alias}.facts -> '${path[0]}' ->> '${path[1]}'`);
  return sql`(case when jsonb_typeof(${node}) = 'string' then nullif(${text}, '') end)`;
}

/**
 * The class of the host row `alias` (a `hosts` row) as JSON text, e.g.
 * `["ubuntu","24.04","R650","web"]`, built by concatenating to_json()
 * literals (json_build_array would add spaces JSON.stringify does not).
 */
export function hostClassSql(alias = 'h'): SQL {
  const a = sql.raw(alias);
  const osId = sql`coalesce(${factText(alias, ['os', 'id'])}, ${a}.os_id)`;
  const build = sql`coalesce(${factText(alias, ['os', 'build'])}, ${factText(alias, ['os', 'version'])}, ${a}.os_version)`;
  const model = sql`coalesce(${factText(alias, ['hardware', 'model'])}, ${a}.hw_model)`;
  const role = sql`coalesce(${a}.labels ->> 'role', '')`;
  return sql`('[' || to_json(${osId}::text)::text || ',' || to_json(${build}::text)::text || ',' || to_json(${model}::text)::text || ',' || to_json(${role}::text)::text || ']')`;
}

/** A class in words for summaries: "ubuntu 24.04, model R650, role web". */
export function describeClass(hostClass: string | null): string {
  if (hostClass === null) return 'every host class';
  try {
    const [osId, build, model, role] = JSON.parse(hostClass) as string[];
    const parts = [[osId, build].filter(Boolean).join(' ') || 'unknown OS', model ? `model ${model}` : 'unknown model', role ? `role ${role}` : 'no role'];
    return parts.join(', ');
  } catch (err) {
    // Not one of ours (hand-written): show it as stored.
    if (err instanceof SyntaxError) return hostClass;
    throw err;
  }
}
