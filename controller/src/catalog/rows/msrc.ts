/**
 * MSRC documents into catalog_msrc_documents (as digests). A document already
 * stored from a later release is kept.
 */
import { catalogMsrcDocuments } from '../../db/schema/index';
import type { Tx } from '../../db/index';
import type { CvrfDocument } from '../feeds/index';
import { cvrfDigest } from '../msrc-digest';
import { upsertRows, type RowCounts } from './sync-rows';

export interface MsrcSaveResult {
  msrcDocuments: RowCounts;
  warnings: string[];
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
  for (const doc of newer) for (const w of doc.warnings) warnings.push(`${doc.source}: ${w.record ?? doc.id}: ${w.message}`);
  return { msrcDocuments, warnings };
}
