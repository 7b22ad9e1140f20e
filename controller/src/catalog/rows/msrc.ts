/**
 * MSRC documents into catalog_msrc_documents (as digests). A document already
 * stored from a later release is kept. Their Workaround and Mitigation
 * remediations go to catalog_remediations, per CVE: a CVE listed by several
 * documents (late revisions) keeps the remediations of the newest document
 * (by month, then id, as the merges order them), whatever order the months
 * are imported in.
 */
import { or, sql } from 'drizzle-orm';
import { catalogMsrcDocuments, catalogRemediations } from '../../db/schema/index';
import type { Tx } from '../../db/index';
import type { CvrfDocument } from '../feeds/index';
import { cvrfDigest } from '../msrc-digest';
import { deleteRowsNotIn, inJsonList, resultRows, upsertRows, type RowCounts } from './sync-rows';

export interface MsrcSaveResult {
  msrcDocuments: RowCounts;
  remediations: RowCounts;
  warnings: string[];
}

/** Order of documents as the merges read them (sortDigests): month, unknown last, then id. */
function docOrder(month: string | null, id: string): string {
  return `${month ?? '9999-99'}\u0000${id}`;
}

/** Workaround/Mitigation rows of the documents being stored (see the file comment). */
async function saveRemediations(tx: Tx, docs: CvrfDocument[]): Promise<RowCounts> {
  const wanted = new Map<string, { order: string; documentId: string; rows: (typeof catalogRemediations.$inferInsert)[] }>();
  for (const doc of [...docs].sort((a, b) => docOrder(a.month, a.id).localeCompare(docOrder(b.month, b.id)))) {
    for (const v of doc.vulnerabilities) {
      if (v.workarounds.length === 0) continue;
      wanted.set(v.cve, {
        order: docOrder(doc.month, doc.id),
        documentId: doc.id,
        rows: v.workarounds.map((w) => ({ cveId: v.cve, type: w.type, ordinal: w.ordinal, description: w.description, url: w.url, productIds: w.productIds, documentId: doc.id })),
      });
    }
  }
  const incoming = docs.map((d) => d.id);
  // Rows of these CVEs stored from a newer document that is not being replaced stay.
  const stored = resultRows<{ cve_id: string; document_id: string | null; month: string | null }>(
    await tx.execute(sql`select distinct r.cve_id, r.document_id, d.month from ${catalogRemediations} r left join ${catalogMsrcDocuments} d on d.id = r.document_id
      where r.cve_id in (select jsonb_array_elements_text(${JSON.stringify([...wanted.keys()])}::jsonb))`),
  );
  for (const s of stored) {
    const w = wanted.get(s.cve_id);
    if (w && s.document_id !== null && !incoming.includes(s.document_id) && docOrder(s.month, s.document_id) > w.order) wanted.delete(s.cve_id);
  }
  const rows = [...wanted.values()].flatMap((w) => w.rows);
  const counts = await upsertRows(tx, catalogRemediations, [catalogRemediations.cveId, catalogRemediations.type, catalogRemediations.ordinal], rows);
  if (incoming.length > 0) {
    counts.deleted = await deleteRowsNotIn(
      tx,
      catalogRemediations,
      [catalogRemediations.cveId, catalogRemediations.type, catalogRemediations.ordinal],
      rows.map((r) => [r.cveId, r.type, r.ordinal]),
      or(inJsonList(catalogRemediations.cveId, [...wanted.keys()]), inJsonList(catalogRemediations.documentId, incoming)),
    );
  }
  return counts;
}

/** One document per id: the latest release wins (on a tie, the later one given). */
function newestDocuments(docs: CvrfDocument[]): CvrfDocument[] {
  const byId = new Map<string, CvrfDocument>();
  for (const doc of docs) {
    const known = byId.get(doc.id);
    if (known === undefined || doc.currentReleaseDate >= known.currentReleaseDate) byId.set(doc.id, doc);
  }
  return [...byId.values()];
}

export async function saveMsrcDocuments(tx: Tx, docs: CvrfDocument[]): Promise<MsrcSaveResult> {
  const warnings: string[] = [];
  const stored = new Map(
    (await tx.select({ id: catalogMsrcDocuments.id, current: catalogMsrcDocuments.currentReleaseDate }).from(catalogMsrcDocuments)).map((r) => [r.id, r.current]),
  );
  const newer = newestDocuments(docs).filter((doc) => {
    const known = stored.get(doc.id);
    // MSRC dates carry no zone and one format, so text order is time order.
    if (known === undefined || doc.currentReleaseDate >= known) return true;
    warnings.push(`${doc.source}: ${doc.id} release ${doc.currentReleaseDate} is older than the stored release ${known}; kept the stored one`);
    return false;
  });
  const rows = newer.map((doc) => ({
    id: doc.id,
    month: doc.month,
    title: doc.title,
    initialReleaseDate: doc.initialReleaseDate,
    currentReleaseDate: doc.currentReleaseDate,
    digest: cvrfDigest(doc),
  }));
  const msrcDocuments = await upsertRows(tx, catalogMsrcDocuments, [catalogMsrcDocuments.id], rows);
  msrcDocuments.unchanged += docs.length - newer.length;
  const remediations = await saveRemediations(tx, newer);
  for (const doc of newer) for (const w of doc.warnings) warnings.push(`${doc.source}: ${w.record ?? doc.id}: ${w.message}`);
  return { msrcDocuments, remediations, warnings };
}
