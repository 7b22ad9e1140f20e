/**
 * When a catalog patch was released, in SQL, as the assessment dates it
 * (assess/assess-host.ts): a USN's OSV `published` time; a KB's Patch
 * Tuesday (the second Tuesday of its month, 17:00 UTC). Null when the
 * catalog does not know the patch or holds an unreadable date.
 */
import { sql, type SQL } from 'drizzle-orm';

// Checked before the cast: one malformed catalog date must not fail the whole statement.
const RFC3339 = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$';

/**
 * The release time of patch `patchIdColumn` (raw SQL naming a column), with
 * `catalog_usns` and `catalog_kbs` looked up by id in scalar subqueries.
 */
export function patchReleaseSql(patchIdColumn: string): SQL {
  const id = sql.raw(patchIdColumn);
  return sql`coalesce(
    (select case when u.published ~ ${RFC3339} then u.published::timestamptz end from catalog_usns u where u.id = ${id}),
    (select case when k.month ~ '^\\d{4}-(0[1-9]|1[0-2])$' then
        ((to_date(k.month || '-01', 'YYYY-MM-DD') + ((9 - extract(dow from to_date(k.month || '-01', 'YYYY-MM-DD'))::int) % 7) + 7)::timestamp + interval '17 hours') at time zone 'UTC'
      end from catalog_kbs k where k.id = ${id}))`;
}
