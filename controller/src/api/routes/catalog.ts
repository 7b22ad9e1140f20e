/**
 * The advisory catalog over the API: imports uploaded to the running
 * controller (the only process that may open its embedded database) and
 * the catalog's status.
 */
import multipart from '@fastify/multipart';
import { Type, type TOptional, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { CATALOG_CHANGED_CHANNEL, catalogStatus } from '../../catalog/import-log';
import { DEFAULT_UPLOAD_LIMITS, importUploadedCatalog, type UploadedPart, type UploadLimits } from '../../catalog/upload-import';
import { importKnownIssuesText } from '../../catalog/known-issues';
import { actorOf } from '../auth';
import { ErrorResponse, OneOf } from '../schemas';

const RowCountsSchema = Type.Object({ inserted: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer(), deleted: Type.Integer() });
const FEEDS = ['usn', 'msrc', 'kev', 'epss'] as const;
const TABLES = ['usns', 'usnFixes', 'msrcDocuments', 'remediations', 'kbs', 'kbProducts', 'cves', 'kev', 'epss'] as const;
/** An object with some of `keys`, each holding `value` (Partial<Record<...>>). */
const SomeOf = <T extends TSchema>(keys: readonly string[], value: T) => Type.Object(Object.fromEntries(keys.map((k) => [k, Type.Optional(value)])) as Record<string, TOptional<T>>, { additionalProperties: false });
const ImportResultSchema = Type.Object({
  runId: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Number(),
  feeds: SomeOf(FEEDS, Type.Object({ sources: Type.Array(Type.String()), totals: RowCountsSchema })),
  tables: SomeOf(TABLES, RowCountsSchema),
  changed: Type.Boolean({ description: 'false when the import inserted, updated and deleted nothing' }),
  warnings: Type.Array(Type.String()),
});
const KnownIssuesResult = Type.Object({
  runId: Type.String(),
  file: Type.String(),
  records: Type.Integer(),
  knownIssues: RowCountsSchema,
  rescored: Type.Array(Type.String(), { description: 'patches whose reliability score was recomputed' }),
  changed: Type.Boolean(),
});
const CatalogStatusSchema = Type.Object({
  rows: Type.Object(Object.fromEntries(TABLES.map((t) => [t, Type.Integer()]))),
  lastImports: SomeOf(FEEDS, Type.Object({ feed: OneOf(FEEDS), runId: Type.String(), finishedAt: Type.String({ format: 'date-time' }), actor: Type.String(), sources: Type.Array(Type.String()), totals: RowCountsSchema })),
});

/** The uploaded files of a multipart request, as the import service takes them. */
async function* uploadedParts(req: FastifyRequest): AsyncGenerator<UploadedPart> {
  for await (const part of req.parts()) {
    if (part.type !== 'file') throw new PfError(Errors.VALIDATION, `form field "${part.fieldname}" is not a file: send feed files only`);
    yield { field: part.fieldname, filename: part.filename, stream: part.file };
  }
}

/** Maps the multipart plugin's own limit and format errors to our codes. */
function uploadError(err: unknown): unknown {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') return new PfError(Errors.PAYLOAD_TOO_LARGE, (err as Error).message);
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return new PfError(Errors.VALIDATION, 'send the feed files as multipart/form-data');
  return err;
}

export function catalogRoutes(app: ApiInstance, ctx: ControllerContext, limits: UploadLimits = DEFAULT_UPLOAD_LIMITS): void {
  // Encapsulated: only these routes parse multipart bodies.
  void app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles, fields: 0, parts: limits.maxFiles } });

    scope.post(
      '/catalog/imports',
      {
        config: { auth: 'admin' },
        schema: {
          summary: 'Import advisory feed files (multipart: usnOsv (repeatable), msrcCvrf (repeatable), kev, epss) in one transaction; answers per-table counts',
          tags: ['catalog'],
          consumes: ['multipart/form-data'],
          response: { 201: ImportResultSchema, '4xx': ErrorResponse, '5xx': ErrorResponse },
        },
      },
      async (req, reply) => {
        let result;
        try {
          result = await importUploadedCatalog(ctx.db, uploadedParts(req), {
            clock: ctx.clock,
            actor: actorOf(req),
            limits,
            onProgress: (line) => req.log.debug({ progress: line }, 'catalog import'),
          });
        } catch (err) {
          throw uploadError(err);
        }
        req.log.info({ runId: result.runId, feeds: Object.keys(result.feeds), changed: result.changed }, 'catalog imported');
        if (result.changed) {
          // Every replica re-assesses now; the catalog poll would see it within its interval anyway.
          await ctx.bus.publish(CATALOG_CHANGED_CHANNEL, result.runId).catch((err: unknown) => req.log.warn({ err }, 'catalog change not announced'));
        }
        return reply.code(201).send(result);
      },
    );
  });

  app.post(
    '/catalog/known-issues',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Import a known-issues file (JSON lines): every line validated, all or nothing, idempotent; rescored patches listed',
        tags: ['catalog'],
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 255, description: 'file name, for messages and the audit log' }), content: Type.String({ maxLength: 900_000, description: 'the file, one JSON object per line' }) },
          { additionalProperties: false },
        ),
        response: { 201: KnownIssuesResult, '4xx': ErrorResponse, '5xx': ErrorResponse },
      },
    },
    async (req, reply) => {
      const { name, content } = req.body;
      const result = await importKnownIssuesText(ctx.db, content, { clock: ctx.clock, actor: actorOf(req), name: `upload:${name}`, requestId: req.id });
      return reply.code(201).send(result);
    },
  );

  app.get(
    '/catalog/status',
    {
      config: { auth: 'helpdesk' },
      schema: { summary: 'Rows per catalog table and the last import of each feed', tags: ['catalog'], response: { 200: CatalogStatusSchema, '4xx': ErrorResponse } },
    },
    async () => catalogStatus(ctx.db),
  );
}
