import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** One enrolled host. `facts` holds the last reported HostFacts; the columns are what we search and sort on. */
export const hosts = pgTable(
  'hosts',
  {
    id: text('id').primaryKey(),
    hostname: text('hostname').notNull(),
    fqdn: text('fqdn'),
    osPlatform: text('os_platform').notNull().default('unknown'),
    osId: text('os_id').notNull().default(''),
    osName: text('os_name').notNull().default(''),
    osVersion: text('os_version').notNull().default(''),
    kernel: text('kernel').notNull().default(''),
    arch: text('arch').notNull().default(''),
    hwVendor: text('hw_vendor').notNull().default(''),
    hwModel: text('hw_model').notNull().default(''),
    hwSerial: text('hw_serial').notNull().default(''),
    /** Every IPv4/IPv6 address the host reported, for search. */
    addresses: text('addresses').array().notNull().default(sql`'{}'::text[]`),
    /** Users logged in at the last inventory (HostFacts.users, distinct, at most 64), for search. */
    loginUsers: text('login_users').array().notNull().default(sql`'{}'::text[]`),
    labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
    facts: jsonb('facts').$type<Record<string, unknown>>(),
    status: text('status', { enum: ['active', 'revoked'] }).notNull().default('active'),
    enrollmentTokenId: text('enrollment_token_id'),
    enrolledAt: timestamp('enrolled_at', { withTimezone: true, mode: 'date' }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }),
    lastReportAt: timestamp('last_report_at', { withTimezone: true, mode: 'date' }),
    /** Sequence number of the last report applied; reports at or below it are duplicates. */
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
    /** Outbox epoch (protocol 3) `lastSeq` counts in; null: none known (no report yet, or an agent older than protocol 3). */
    reportEpoch: text('report_epoch'),
    /** Boot id last reported (health sample, heartbeat or inventory) and when: reboot checks read it. */
    bootId: text('boot_id'),
    bootSeenAt: timestamp('boot_seen_at', { withTimezone: true, mode: 'date' }),
    packageCount: integer('package_count').notNull().default(0),
  },
  (t) => [
    index('hosts_hostname_idx').on(t.hostname),
    index('hosts_serial_idx').on(t.hwSerial),
    // Narrow copy of what fleet-wide joins read (kpis/): an index-only scan instead of the wide rows. Not last_seen_at: it
    // changes every few seconds, and an indexed column would cost those updates their HOT path.
    index('hosts_status_enrolled_idx').on(t.id, t.status, t.enrolledAt),
  ],
);
