/**
 * Ubuntu notices into catalog_usns and catalog_usn_fixes. A notice already
 * stored with a later `modified` is kept: an older mirror cannot roll it back.
 */
import { createHash } from 'node:crypto';
import { catalogUsnFixes, catalogUsns } from '../../db/schema/index';
import type { Tx } from '../../db/index';
import type { UsnRecord } from '../feeds/index';
import { newestUsnRecords, usnCveFacts, usnFix } from '../usn-advisory';
import { deleteRowsNotIn, inJsonList, upsertRows, type RowCounts } from './sync-rows';

export interface UsnSaveResult {
  usns: RowCounts;
  usnFixes: RowCounts;
  warnings: string[];
}

type UsnRow = Omit<typeof catalogUsns.$inferInsert, 'contentHash'>;
type FixRow = typeof catalogUsnFixes.$inferInsert;

function usnRow(record: UsnRecord): UsnRow {
  return {
    id: record.id,
    title: record.summary,
    details: record.details,
    published: record.published,
    modified: record.modified,
    withdrawn: record.withdrawn,
    cves: record.cveIds,
    cveFacts: usnCveFacts(record),
  };
}

function fixRows(record: UsnRecord): FixRow[] {
  return record.affected.map((entry, position) => ({ usnId: record.id, position, ...usnFix(entry) }));
}

function contentHash(row: UsnRow, fixes: FixRow[]): string {
  return createHash('sha256').update(JSON.stringify([row, fixes])).digest('hex');
}

/**
 * Upserts the notices and replaces the fixes of each changed notice. Notices
 * whose content hash matches the stored one are not written at all, so a
 * daily re-import of the whole feed costs one select.
 */
export async function saveUsns(tx: Tx, records: UsnRecord[]): Promise<UsnSaveResult> {
  const warnings: string[] = [];
  const stored = new Map(
    (await tx.select({ id: catalogUsns.id, modified: catalogUsns.modified, hash: catalogUsns.contentHash }).from(catalogUsns)).map((r) => [r.id, r]),
  );
  const rows: (UsnRow & { contentHash: string })[] = [];
  const fixes: FixRow[] = [];
  const newest = newestUsnRecords(records);
  // Duplicates of a notice in the input count as unchanged: the newest copy stands for them.
  let unchanged = records.length - newest.length;
  let fixesUnchanged = 0;
  for (const record of newest) {
    const known = stored.get(record.id);
    if (known !== undefined && Date.parse(record.modified) < Date.parse(known.modified)) {
      warnings.push(`${record.source}: ${record.id} is older (modified ${record.modified}) than the stored notice (modified ${known.modified}); kept the stored one`);
      unchanged += 1;
      fixesUnchanged += record.affected.length;
      continue;
    }
    const row = usnRow(record);
    const fixList = fixRows(record);
    const hash = contentHash(row, fixList);
    if (known?.hash === hash) {
      unchanged += 1;
      fixesUnchanged += fixList.length;
      continue;
    }
    rows.push({ ...row, contentHash: hash });
    fixes.push(...fixList);
  }
  const usns = await upsertRows(tx, catalogUsns, [catalogUsns.id], rows);
  usns.unchanged += unchanged;
  const usnFixes = await upsertRows(tx, catalogUsnFixes, [catalogUsnFixes.usnId, catalogUsnFixes.position], fixes);
  usnFixes.unchanged += fixesUnchanged;
  usnFixes.deleted = await deleteRowsNotIn(
    tx,
    catalogUsnFixes,
    [catalogUsnFixes.usnId, catalogUsnFixes.position],
    fixes.map((f) => [f.usnId, f.position]),
    inJsonList(catalogUsnFixes.usnId, rows.map((r) => r.id)),
  );
  return { usns, usnFixes, warnings };
}
