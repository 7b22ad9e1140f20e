import type { FastifyInstance } from 'fastify';
import type { ControllerContext } from '../../context';
import { pingDatabase } from '../../db/index';
import { PROTOCOL_VERSION } from '@patchfleet/shared';

export function healthRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  app.get('/healthz', { config: { auth: 'public' }, schema: { hide: true } }, async () => {
    await pingDatabase(ctx.db);
    return { status: 'ok', database: ctx.dbKind, protocolVersion: PROTOCOL_VERSION, controllerId: ctx.controllerId };
  });
}
