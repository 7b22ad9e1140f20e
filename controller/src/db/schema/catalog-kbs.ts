import { boolean, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';

/** One Windows KB merged over every stored MSRC document (see catalog/merge-kbs.ts for the rules). */
export const catalogKbs = pgTable(
  'catalog_kbs',
  {
    /** `KB5072033` */
    id: text('id').primaryKey(),
    /** `YYYY-MM` of the first document where the KB is native; null when unknown. */
    month: text('month'),
    title: text('title'),
    cves: jsonb('cves').$type<string[]>().notNull(),
    /** `KB…` ids this KB supersedes. */
    supersedes: jsonb('supersedes').$type<string[]>().notNull(),
    restartRequired: text('restart_required', { enum: ['yes', 'no', 'maybe'] }),
    hotpatch: boolean('hotpatch').notNull(),
  },
  (t) => [index('catalog_kbs_cves_idx').using('gin', t.cves), index('catalog_kbs_supersedes_idx').using('gin', t.supersedes)],
);
