/**
 * Batched upserts that count what they did, and deletes of rows no longer
 * wanted. An upsert writes a row only when a value differs (`IS DISTINCT
 * FROM`), so re-importing the same data writes nothing and reports every
 * row unchanged. Inserted and updated rows are told apart by `xmax = 0`
 * (a freshly inserted row version has no deleting transaction).
 */
import { and, getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db, Tx } from '../../db/index';

/** What an import did to one table. */
export interface RowCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

export function noRowCounts(): RowCounts {
  return { inserted: 0, updated: 0, unchanged: 0, deleted: 0 };
}

/** Sum of counts (for totals). */
export function addRowCounts(...counts: RowCounts[]): RowCounts {
  const sum = noRowCounts();
  for (const c of counts) {
    sum.inserted += c.inserted;
    sum.updated += c.updated;
    sum.unchanged += c.unchanged;
    sum.deleted += c.deleted;
  }
  return sum;
}

// Rows per statement. Rows travel as one jsonb parameter (jsonb_to_recordset),
// which PGlite and PostgreSQL both read far faster than thousands of bound
// parameters, and which drizzle does not have to render value by value.
const BATCH_ROWS = 5_000;

type Row = Record<string, unknown>;

function excluded(column: PgColumn): SQL {
  return sql`excluded.${sql.identifier(column.name)}`;
}

/**
 * Inserts or updates `rows` (property names of the drizzle table) in batches.
 * `onlyIf` adds a condition an existing row must meet to be replaced (e.g.
 * "the incoming score is not older"); rows failing it count as unchanged.
 * Rows must be unique by key. Values must be JSON-representable as the
 * column expects (text, numbers, booleans, `YYYY-MM-DD` dates, jsonb values).
 */
export async function upsertRows(db: Db | Tx, table: PgTable, keys: PgColumn[], rows: Row[], onlyIf?: SQL): Promise<RowCounts> {
  const counts = noRowCounts();
  if (rows.length === 0) return counts;
  const columns = Object.entries(getTableColumns(table) as Record<string, PgColumn>);
  const keyNames = new Set(keys.map((k) => k.name));
  const values = columns.filter(([, c]) => !keyNames.has(c.name)).map(([, c]) => c);
  const names = sql.join(
    columns.map(([, c]) => sql.identifier(c.name)),
    sql`, `,
  );
  const types = sql.raw(columns.map(([, c]) => `"${c.name}" ${c.getSQLType()}`).join(', '));
  const target = sql.join(
    keys.map((k) => sql.identifier(k.name)),
    sql`, `,
  );
  const set = sql.join(
    values.map((c) => sql`${sql.identifier(c.name)} = ${excluded(c)}`),
    sql`, `,
  );
  // A row is rewritten only when a value differs: a repeated import writes nothing.
  const differs = sql`(${sql.join(
    values.map((c) => sql`${table}.${sql.identifier(c.name)}`),
    sql`, `,
  )}) is distinct from (${sql.join(
    values.map((c) => excluded(c)),
    sql`, `,
  )})`;
  const where = onlyIf === undefined ? differs : sql`${differs} and ${onlyIf}`;
  for (let i = 0; i < rows.length; i += BATCH_ROWS) {
    const batch = rows.slice(i, i + BATCH_ROWS);
    const json = JSON.stringify(batch.map((row) => Object.fromEntries(columns.map(([prop, c]) => [c.name, row[prop] ?? null]))));
    const result = await db.execute(
      sql`insert into ${table} (${names}) select ${names} from jsonb_to_recordset(${json}::jsonb) as r(${types})
        on conflict (${target}) do update set ${set} where ${where}
        returning (xmax = 0) as inserted`,
    );
    const written = resultRows<{ inserted: boolean }>(result);
    for (const row of written) {
      if (row.inserted) counts.inserted += 1;
      else counts.updated += 1;
    }
    counts.unchanged += batch.length - written.length;
  }
  return counts;
}

/** Rows of `db.execute`: postgres.js gives an array, PGlite an object with `rows`. */
export function resultRows<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** A JSON parameter holding values for `jsonb_to_recordset`: one object per row, keyed k0, k1, ... */
function recordset(keys: PgColumn[], tuples: unknown[][]): { json: string; columns: SQL } {
  const json = JSON.stringify(tuples.map((t) => Object.fromEntries(t.map((v, i) => [`k${i}`, v]))));
  const columns = sql.raw(keys.map((k, i) => `k${i} ${k.getSQLType()}`).join(', '));
  return { json, columns };
}

/**
 * Deletes rows of `table` (within `scope`, if given) whose key is not among
 * `keep` (key tuples in the order of `keys`). The kept keys travel as one
 * jsonb parameter: a row-value IN list of thousands of tuples aborts PGlite.
 */
export async function deleteRowsNotIn(db: Db | Tx, table: PgTable, keys: PgColumn[], keep: unknown[][], scope?: SQL): Promise<number> {
  const { json, columns } = recordset(keys, keep);
  const match = sql.join(
    keys.map((k, i) => sql`${k} = k.${sql.raw(`k${i}`)}`),
    sql` and `,
  );
  const notKept = sql`not exists (select 1 from jsonb_to_recordset(${json}::jsonb) as k(${columns}) where ${match})`;
  const deleted = await db
    .delete(table)
    .where(scope === undefined ? notKept : and(scope, notKept))
    .returning({ one: sql<number>`1` });
  return deleted.length;
}

/** `column IN (values)` with the values as one jsonb parameter. */
export function inJsonList(column: PgColumn, values: string[]): SQL {
  return sql`${column} in (select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;
}
