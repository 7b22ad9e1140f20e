/**
 * The catalog's patches as people see them: Ubuntu notices (catalog_usns) and
 * Windows KBs (catalog_kbs) side by side. Read-only; catalog/store.ts writes
 * these tables.
 */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/index';
import { catalogKbs, catalogUsns } from '../db/schema/index';

/** Catalog patches as one relation `p`: id, kind ('usn' | 'kb'), title, released, cves. */
export const catalogPatchesRelation = sql`(
  select id, 'usn' as kind, title, published as released, cves from catalog_usns
  union all
  select id, 'kb' as kind, coalesce(title, id) as title, month as released, cves from catalog_kbs
) p`;

/** The catalog facts of one patch (a USN id or a KB id), or undefined when the catalog has neither. */
export async function catalogPatch(db: Db, id: string) {
  const [usn] = await db.select({ id: catalogUsns.id, title: catalogUsns.title, published: catalogUsns.published, cves: catalogUsns.cves }).from(catalogUsns).where(eq(catalogUsns.id, id)).limit(1);
  if (usn) return { kind: 'usn' as const, ...usn };
  const [kb] = await db
    .select({ id: catalogKbs.id, title: catalogKbs.title, month: catalogKbs.month, cves: catalogKbs.cves, supersedes: catalogKbs.supersedes, restartRequired: catalogKbs.restartRequired, hotpatch: catalogKbs.hotpatch })
    .from(catalogKbs)
    .where(eq(catalogKbs.id, id))
    .limit(1);
  return kb ? { kind: 'kb' as const, ...kb } : undefined;
}
