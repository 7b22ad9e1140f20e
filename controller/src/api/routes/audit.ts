import { Type } from '@sinclair/typebox';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { Readable } from 'node:stream';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { audit } from '../../audit/audit';
import { auditJsonLines } from '../../audit/export';
import { listAuditEntries } from '../../audit/list';
import { actorOf } from '../auth';
import { BigintId, ErrorResponse, FreeObject } from '../schemas';

const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String({ description: 'user:<name>, token:<id>, system, sign-in:<address>, ...' }),
  action: Type.String(),
  targetType: Type.String(),
  targetId: Type.String(),
  details: FreeObject(),
  requestId: Type.Union([Type.String(), Type.Null()]),
});
/** The export's body: application/x-ndjson, one AuditEntry per line (sent as a stream). */
const JsonLines = Type.Unsafe<Readable>({ type: 'string', description: 'application/x-ndjson: one audit entry (as GET /audit items) per line, oldest first' });

/** `since` and `until` of a query as dates; refused when since is after until. */
function timeRange(q: { since?: string | undefined; until?: string | undefined }): { since: Date | undefined; until: Date | undefined } {
  const since = q.since ? new Date(q.since) : undefined;
  const until = q.until ? new Date(q.until) : undefined;
  if (since && until && since > until) throw new PfError(Errors.VALIDATION, 'querystring/since must not be after until');
  return { since, until };
}

export function auditRoutes(app: ApiInstance, ctx: ControllerContext): void {
  app.get(
    '/audit',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Read the audit log, newest first (page with `before`); every filter given must match (since <= at < until)',
        tags: ['audit'],
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            before: Type.Optional(BigintId('return entries with id below this')),
            targetType: Type.Optional(Type.String({ maxLength: 64 })),
            targetId: Type.Optional(Type.String({ maxLength: 128 })),
            action: Type.Optional(Type.String({ maxLength: 64 })),
            actor: Type.Optional(Type.String({ maxLength: 200, description: 'exactly as recorded, e.g. user:ada' })),
            since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
            until: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(AuditEntry) }), '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { limit = 100, before, targetType, targetId, action, actor } = req.query;
      const { since, until } = timeRange(req.query);
      return { items: await listAuditEntries(ctx.db, { limit, before, targetType, targetId, action, actor, since, until }) };
    },
  );

  app.get(
    '/audit/export',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Export the audit log as JSON lines, oldest first (since <= at < until)',
        tags: ['audit'],
        querystring: Type.Object(
          {
            since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
            until: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
            format: Type.Optional(Type.Literal('jsonl', { default: 'jsonl' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: JsonLines, '4xx': ErrorResponse },
      },
    },
    async (req, reply) => {
      const { since, until } = timeRange(req.query);
      const now = new Date(ctx.clock.now());
      // Recorded before the first byte: an export of the audit log is itself a security event.
      await audit(ctx.db, now, { actor: actorOf(req), action: 'audit.export', targetType: 'audit-log', targetId: 'audit_log', details: { since: since?.toISOString() ?? null, until: until?.toISOString() ?? null }, requestId: req.id });
      const lines = auditJsonLines(ctx.db, { since, until });
      // The first page is read before the headers go out, so a database outage still answers 503 in the envelope.
      const first = await lines.next();
      async function* all(): AsyncGenerator<string> {
        if (first.done) return;
        yield first.value;
        yield* lines;
      }
      return reply.type('application/x-ndjson; charset=utf-8').header('content-disposition', 'attachment; filename="patchfleet-audit.jsonl"').send(Readable.from(all()));
    },
  );
}
