/**
 * catalog_kbs, catalog_kb_products and catalog_cves are merged from every
 * stored source (MSRC digests, Ubuntu notices), not from the files of one
 * import: so importing months one by one, or in any order, gives the same
 * rows as importing them together. Only rows whose values change are written.
 */
import { isNull } from 'drizzle-orm';
import { catalogCves, catalogKbProducts, catalogKbs, catalogMsrcDocuments, catalogUsns } from '../../db/schema/index';
import type { Tx } from '../../db/index';
import { mergeAdvisoryCves } from '../merge-cves';
import { mergeKbs } from '../merge-kbs';
import { sortDigests, type CvrfDigest } from '../msrc-digest';
import { compareUsnIds } from '../usn-advisory';
import { deleteRowsNotIn, upsertRows, type RowCounts } from './sync-rows';

export interface DerivedSaveResult {
  kbs?: RowCounts;
  kbProducts?: RowCounts;
  cves: RowCounts;
}

async function storedDigests(tx: Tx): Promise<CvrfDigest[]> {
  return (await tx.select({ digest: catalogMsrcDocuments.digest }).from(catalogMsrcDocuments)).map((r) => r.digest);
}

async function syncKbs(tx: Tx, digests: CvrfDigest[]): Promise<{ kbs: RowCounts; kbProducts: RowCounts }> {
  const merged = mergeKbs(digests);
  const kbRows = merged.map((kb) => ({
    id: kb.id,
    month: kb.month,
    title: kb.title,
    cves: kb.cves,
    supersedes: kb.supersedes,
    restartRequired: kb.restartRequired,
    hotpatch: kb.hotpatch,
  }));
  const productRows = merged.flatMap((kb) => kb.products.map((p) => ({ kbId: kb.id, productId: p.productId, name: p.name, fixedBuild: p.fixedBuild })));
  const kbs = await upsertRows(tx, catalogKbs, [catalogKbs.id], kbRows);
  const kbProducts = await upsertRows(tx, catalogKbProducts, [catalogKbProducts.kbId, catalogKbProducts.productId], productRows);
  kbProducts.deleted = await deleteRowsNotIn(
    tx,
    catalogKbProducts,
    [catalogKbProducts.kbId, catalogKbProducts.productId],
    productRows.map((p) => [p.kbId, p.productId]),
  );
  kbs.deleted = await deleteRowsNotIn(tx, catalogKbs, [catalogKbs.id], kbRows.map((k) => [k.id]));
  return { kbs, kbProducts };
}

async function syncCves(tx: Tx, digests: CvrfDigest[]): Promise<RowCounts> {
  const notices = (await tx.select({ id: catalogUsns.id, cves: catalogUsns.cves, cveFacts: catalogUsns.cveFacts }).from(catalogUsns).where(isNull(catalogUsns.withdrawn))).sort((a, b) =>
    compareUsnIds(a.id, b.id),
  );
  const merged = mergeAdvisoryCves({ msrc: digests.map((d) => d.cves), usn: notices.map((n) => n.cveFacts), ids: notices.flatMap((n) => n.cves) });
  const rows = [...merged.values()];
  const counts = await upsertRows(tx, catalogCves, [catalogCves.id], rows);
  counts.deleted = await deleteRowsNotIn(tx, catalogCves, [catalogCves.id], rows.map((r) => [r.id]));
  return counts;
}

/** Re-merges the derived tables after sources changed; KBs only when MSRC documents were imported. */
export async function syncDerived(tx: Tx, opts: { kbs: boolean }): Promise<DerivedSaveResult> {
  // The CVE merge reads documents oldest first (the newer document wins ties).
  const digests = sortDigests(await storedDigests(tx));
  const result: DerivedSaveResult = { cves: await syncCves(tx, digests) };
  if (opts.kbs) Object.assign(result, await syncKbs(tx, digests));
  return result;
}
