import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ControllerContext } from '../../context';
import { PROTOCOL_VERSION } from '@patchfleet/shared';

export function healthRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  app.get('/healthz', { config: { auth: 'public' }, schema: { hide: true } }, async () => {
    await ctx.db.execute(sql`select 1`);
    return { status: 'ok', database: ctx.dbKind, protocolVersion: PROTOCOL_VERSION, controllerId: ctx.controllerId };
  });
}
