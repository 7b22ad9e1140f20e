/**
 * GET /events: the dashboard's live updates as server-sent events. Each
 * event names what changed (`event: rollout`, `host`, `block`; `data:
 * {"id": ...}`); the browser refetches it through the ordinary API, so the
 * stream carries no data a role could not read anyway.
 */
import { Type } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { ApiInstance } from '../plugin';
import type { LiveHub } from '../../live/live-hub';
import { ErrorResponse } from '../schemas';
import { sourceAddress } from '../../net/connection-guard';

/** The body: an endless text/event-stream (documented as a string; never validated, it is written raw). */
const EventStream = Type.Unsafe<string>({
  type: 'string',
  description: 'text/event-stream: `event: rollout|host|block` with `data: {"id": "..."}` per change, a `: heartbeat` comment every 25 s; refetch what the id names',
});

export function liveRoutes(app: ApiInstance, live: LiveHub): void {
  app.get(
    '/events',
    { config: { auth: 'helpdesk' }, schema: { summary: 'Live-update hints for the dashboard (server-sent events)', tags: ['live'], response: { 200: { description: 'An endless event stream', content: { 'text/event-stream': { schema: EventStream } } }, '4xx': ErrorResponse } } },
    async (req, reply) => {
      const p = req.principal;
      if (!p) throw new PfError(Errors.UNAUTHORIZED);
      const address = sourceAddress(req.ip);
      const refused = live.refusal(p.personId, address);
      if (refused === 'closed') throw new PfError(Errors.SHUTTING_DOWN);
      if (refused) throw new PfError(Errors.RATE_LIMITED, `too many live-update streams (limit per ${refused}); close a tab or retry later`);
      await live.ready();
      // From here the handler owns the socket: fastify neither serializes nor ends the reply.
      reply.hijack();
      live.open(reply.raw, p.personId, address);
    },
  );
}
