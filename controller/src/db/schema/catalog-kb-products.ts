import { index, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { catalogKbs } from './catalog-kbs';

/** A Windows product a KB applies to, with the build that carries the fix. */
export const catalogKbProducts = pgTable(
  'catalog_kb_products',
  {
    kbId: text('kb_id').notNull().references(() => catalogKbs.id, { onDelete: 'cascade' }),
    /** MSRC ProductID, e.g. `12390`. */
    productId: text('product_id').notNull(),
    /** e.g. `Windows 11 Version 24H2 for x64-based Systems` */
    name: text('name').notNull(),
    /** e.g. `10.0.26100.7171`; null when MSRC gives none. */
    fixedBuild: text('fixed_build'),
  },
  (t) => [primaryKey({ columns: [t.kbId, t.productId] }), index('catalog_kb_products_name_idx').on(t.name)],
);
