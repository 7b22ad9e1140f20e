/**
 * Known-issue records (`catalog import --known-issues FILE`): one JSON object
 * per line, as in ../shared/data/known-issues. Every line is checked against
 * a TypeBox schema before anything is written; a bad line fails the import
 * with PF_ERR_FEED_PARSE naming the file and line, and nothing of the file is
 * stored. Good files are written in one transaction (batched upsert keyed by
 * patch and symptom, so a re-import changes nothing), audited, and the
 * reliability scores of the patches named (and of the patches named as
 * fixes) are recomputed in the same transaction.
 *
 * Owns the table `known_issues`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import type { Clock } from '@patchfleet/shared';
import { isPfError, PfError, Errors } from '@patchfleet/shared/errors';
import { inArray } from 'drizzle-orm';
import { audit } from '../audit/audit';
import type { Db, Tx } from '../db/index';
import { knownIssues } from '../db/schema/index';
import { refreshScores } from '../reliability/score-service';
import { feedIoError, feedParseError } from './feeds/feed-errors';
import { upsertRows, type RowCounts } from './rows/sync-rows';

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const PatchId = Type.String({ pattern: '^(KB\\d{5,8}|USN-\\d+-\\d+)$' });

/** One line of a known-issues file. */
export const KnownIssueLine = Type.Object(
  {
    patchId: PatchId,
    released: Type.Optional(Day),
    status: Type.Union([Type.Literal('confirmed'), Type.Literal('reported'), Type.Literal('by-design')]),
    symptom: Type.String({ minLength: 1, maxLength: 2000 }),
    scope: Type.Optional(Type.String({ maxLength: 500 })),
    fixedBy: Type.Optional(PatchId),
    fixedOn: Type.Optional(Day),
    source: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type KnownIssueLine = Static<typeof KnownIssueLine>;

// What a field must be, in words (ajv's own words for a union are "must be equal to constant").
const FIELD_RULES: Record<string, string> = {
  status: 'must be one of confirmed, reported, by-design',
  patchId: 'must be a KB number (KB5066835) or a USN id (USN-7545-1)',
  fixedBy: 'must be a KB number (KB5066835) or a USN id (USN-7545-1)',
  released: 'must be a date YYYY-MM-DD',
  fixedOn: 'must be a date YYYY-MM-DD',
};

const check = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true }).compile<KnownIssueLine>(KnownIssueLine);

/** A parsed record with its stable id (patch and symptom). */
export interface KnownIssueRecord extends KnownIssueLine {
  id: string;
  line: number;
}

function validDay(day: string): boolean {
  const t = Date.parse(`${day}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === day;
}

/** Parses a file's text; throws PF_ERR_FEED_PARSE naming the first bad line. Blank lines are skipped. */
export function parseKnownIssues(text: string, file: string): KnownIssueRecord[] {
  const out: KnownIssueRecord[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw feedParseError({ file, line }, `not JSON: ${(err as Error).message}`, err);
    }
    if (!check(value)) {
      const e = check.errors?.[0];
      const where = e?.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '';
      const what =
        e?.keyword === 'additionalProperties'
          ? `unknown field "${String((e.params as { additionalProperty?: string }).additionalProperty)}"`
          : (FIELD_RULES[where] ?? e?.message ?? 'does not match the schema');
      throw feedParseError({ file, line, ...(where ? { path: where } : {}) }, what);
    }
    for (const key of ['released', 'fixedOn'] as const) {
      const day = value[key];
      if (day !== undefined && !validDay(day)) throw feedParseError({ file, line, path: key }, `"${day}" is not a calendar date`);
    }
    if (value.fixedBy === value.patchId) throw feedParseError({ file, line, path: 'fixedBy' }, 'a patch cannot be its own fix');
    const id = `ki_${createHash('sha256').update(`${value.patchId}\n${value.symptom}`).digest('hex').slice(0, 16)}`;
    const earlier = seen.get(id);
    if (earlier !== undefined) throw feedParseError({ file, line }, `repeats line ${earlier} (same patch and symptom)`);
    seen.set(id, line);
    out.push({ ...value, id, line });
  });
  return out;
}

export interface KnownIssuesImportResult {
  runId: string;
  file: string;
  records: number;
  knownIssues: RowCounts;
  /** Patches whose reliability score was recomputed. */
  rescored: string[];
  changed: boolean;
}

/**
 * Reads, validates and stores a known-issues file. `name` is what messages
 * and the audit log call the file (default: the path).
 */
export async function importKnownIssues(db: Db, path: string, opts: { clock: Clock; actor: string; name?: string; requestId?: string }): Promise<KnownIssuesImportResult> {
  const name = opts.name ?? path;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw feedIoError(name, err);
  }
  return importKnownIssuesText(db, text, { ...opts, name });
}

/** The same from the file's text (an upload to a running controller); `name` labels it in messages and the audit log. */
export async function importKnownIssuesText(db: Db, text: string, opts: { clock: Clock; actor: string; name: string; requestId?: string }): Promise<KnownIssuesImportResult> {
  const name = opts.name;
  const records = parseKnownIssues(text, name);
  if (records.length === 0) throw feedParseError({ file: name }, 'no records (one JSON object per line)');
  const runId = `imp_${randomBytes(8).toString('hex')}`;
  try {
    return await db.transaction(async (tx) => saveKnownIssues(tx, records, { ...opts, name, runId }));
  } catch (err) {
    if (isPfError(err)) throw err;
    throw new PfError(Errors.CATALOG_IMPORT, `known-issues import failed, nothing was changed: ${(err as Error).message}`, undefined, { cause: err });
  }
}

async function saveKnownIssues(tx: Tx, records: KnownIssueRecord[], opts: { clock: Clock; actor: string; name: string; runId: string; requestId?: string }): Promise<KnownIssuesImportResult> {
  const now = new Date(opts.clock.now());
  // A record keeps the time it was first imported.
  const firstSeen = new Map(
    (await tx.select({ id: knownIssues.id, importedAt: knownIssues.importedAt }).from(knownIssues).where(inArray(knownIssues.id, records.map((r) => r.id)))).map((r) => [r.id, r.importedAt]),
  );
  const rows = records.map((r) => ({
    id: r.id,
    patchId: r.patchId,
    released: r.released ?? null,
    status: r.status,
    symptom: r.symptom,
    scope: r.scope ?? '',
    fixedBy: r.fixedBy ?? null,
    fixedOn: r.fixedOn ?? null,
    source: r.source ?? '',
    importedAt: (firstSeen.get(r.id) ?? now).toISOString(),
  }));
  const counts = await upsertRows(tx, knownIssues, [knownIssues.id], rows);
  const changed = counts.inserted + counts.updated > 0;
  const rescored = [...new Set(records.flatMap((r) => (r.fixedBy ? [r.patchId, r.fixedBy] : [r.patchId])))].sort();
  if (changed) await refreshScores(tx, rescored, now);
  await audit(tx, now, {
    actor: opts.actor,
    action: 'catalog.import.known-issues',
    targetType: 'catalog',
    targetId: opts.runId,
    details: { source: opts.name, records: records.length, ...counts, rescored: changed ? rescored : [] },
    ...(opts.requestId ? { requestId: opts.requestId } : {}),
  });
  return { runId: opts.runId, file: opts.name, records: records.length, knownIssues: counts, rescored: changed ? rescored : [], changed };
}
