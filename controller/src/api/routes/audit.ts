import { Type } from '@sinclair/typebox';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ControllerContext } from '../../context';
import { auditLog } from '../../db/schema/index';
import { ErrorResponse } from '../schemas';

export function auditRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  app.get(
    '/api/v1/audit',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Read the audit log, newest first (page with `before`)',
        tags: ['audit'],
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            before: Type.Optional(Type.Integer({ minimum: 1, description: 'return entries with id below this' })),
            targetType: Type.Optional(Type.String({ maxLength: 64 })),
            targetId: Type.Optional(Type.String({ maxLength: 128 })),
            action: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { limit = 100, before, targetType, targetId, action } = req.query as { limit?: number; before?: number; targetType?: string; targetId?: string; action?: string };
      const conds: SQL[] = [];
      if (before) conds.push(lt(auditLog.id, before));
      if (targetType) conds.push(eq(auditLog.targetType, targetType));
      if (targetId) conds.push(eq(auditLog.targetId, targetId));
      if (action) conds.push(eq(auditLog.action, action));
      const rows = await ctx.db.select().from(auditLog).where(and(...conds)).orderBy(desc(auditLog.id)).limit(limit);
      return { items: rows.map((r) => ({ ...r, at: r.at.toISOString() })) };
    },
  );
}
