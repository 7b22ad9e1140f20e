import { pgTable, text } from 'drizzle-orm/pg-core';
import { hosts } from './hosts';

/**
 * What host search looks through, one narrow row per host: its id, hostname,
 * FQDN, serial, addresses, logged-in users and labels (key=value),
 * lower-cased and space-separated. A LIKE over this table reads a tenth of
 * what one over `hosts` reads (facts make its rows wide); every search match
 * must pass it before its exact conditions (hosts/queries.ts). Written only
 * by the trigger `hosts_search_text` on `hosts` (migration 0015), whoever
 * writes the host row.
 */
export const hostSearch = pgTable('host_search', {
  hostId: text('host_id')
    .primaryKey()
    .references(() => hosts.id, { onDelete: 'cascade' }),
  text: text('text').notNull(),
});
