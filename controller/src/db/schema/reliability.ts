import { bigserial, date, index, integer, jsonb, pgTable, primaryKey, real, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The current reliability score of a patch for one host class, and for the
 * patch as a whole (`hostClass` ''). Owner: reliability/score-service.ts.
 */
export const reliabilityScores = pgTable(
  'reliability_scores',
  {
    patchId: text('patch_id').notNull(),
    hostClass: text('host_class').notNull().default(''),
    /** 0 (certain harm) .. 100 (no sign of harm). */
    score: integer('score').notNull(),
    /** 0..1: how much evidence stands behind the score. */
    confidence: real('confidence').notNull(),
    /** Posterior probability that the patch harms a host like these. */
    pHarm: real('p_harm').notNull(),
    reasons: jsonb('reasons').$type<string[]>().notNull(),
    evidence: jsonb('evidence').$type<Record<string, unknown>>().notNull(),
    computedAt: timestamp('computed_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.patchId, t.hostClass] })],
);

/** Every change of a score (appended whenever score or confidence moves). */
export const reliabilityHistory = pgTable(
  'reliability_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    patchId: text('patch_id').notNull(),
    hostClass: text('host_class').notNull().default(''),
    score: integer('score').notNull(),
    confidence: real('confidence').notNull(),
    reasons: jsonb('reasons').$type<string[]>().notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('reliability_history_patch_idx').on(t.patchId, t.hostClass, t.at)],
);

/** External known-issue records (catalog import --known-issues). Owner: catalog (known-issues import). */
export const knownIssues = pgTable(
  'known_issues',
  {
    id: text('id').primaryKey(),
    patchId: text('patch_id').notNull(),
    released: date('released', { mode: 'string' }),
    /** confirmed (vendor) | reported (users) | by-design */
    status: text('status', { enum: ['confirmed', 'reported', 'by-design'] }).notNull(),
    symptom: text('symptom').notNull(),
    scope: text('scope').notNull().default(''),
    fixedBy: text('fixed_by'),
    fixedOn: date('fixed_on', { mode: 'string' }),
    source: text('source').notNull().default(''),
    importedAt: timestamp('imported_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('known_issues_patch_idx').on(t.patchId)],
);

/** CVRF remediations of type Workaround and Mitigation, per CVE. Owner: catalog (msrc import). */
export const catalogRemediations = pgTable(
  'catalog_remediations',
  {
    cveId: text('cve_id').notNull(),
    type: text('type', { enum: ['Workaround', 'Mitigation'] }).notNull(),
    ordinal: integer('ordinal').notNull(),
    description: text('description').notNull(),
    url: text('url'),
    productIds: text('product_ids').array().notNull().default([]),
    documentId: text('document_id'),
  },
  (t) => [primaryKey({ columns: [t.cveId, t.type, t.ordinal] })],
);

/** Where an accepted mitigation applies: listed hosts and/or hosts with every label given. */
export interface MitigationScope {
  hostIds?: string[];
  labels?: Record<string, string>;
}

/**
 * A mitigation an admin accepted in place of a held or blocked urgent patch:
 * its hosts show as "mitigated, not patched" until they are patched or it
 * expires. Owner: reliability/mitigations.ts.
 */
export const mitigations = pgTable(
  'mitigations',
  {
    id: text('id').primaryKey(),
    patchId: text('patch_id').notNull(),
    description: text('description').notNull(),
    owner: text('owner').notNull(),
    scope: jsonb('scope').$type<MitigationScope>().notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    state: text('state', { enum: ['active', 'revoked'] }).notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('mitigations_patch_idx').on(t.patchId)],
);
