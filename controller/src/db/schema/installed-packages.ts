import { index, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { hosts } from './hosts';

/** The current package set of each host; replaced or patched as reports arrive. */
export const installedPackages = pgTable(
  'installed_packages',
  {
    hostId: text('host_id').notNull().references(() => hosts.id, { onDelete: 'cascade' }),
    manager: text('manager', { enum: ['dpkg', 'rpm', 'windows'] }).notNull(),
    name: text('name').notNull(),
    arch: text('arch').notNull(),
    version: text('version').notNull(),
    sourceName: text('source_name').notNull(),
    sourceVersion: text('source_version').notNull(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.manager, t.name, t.arch] }), index('installed_packages_source_idx').on(t.sourceName)],
);
