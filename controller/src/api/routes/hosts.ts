import { Type } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { getHost, hostExists, listHostPackages, onlineStaleMs, searchHosts } from '../../hosts/queries';
import { resolveHost } from '../../hosts/resolve';
import { HostSession, HostSummary } from '../host-schemas';
import { ErrorResponse, OneOf, Paging } from '../schemas';
import { revokeHost, REVOCATION_CHANNEL } from '../../enrollment/revoke-host';
import { actorOf } from '../auth';
import { announceHint } from '../../live/hints';


const HostDetail = Type.Intersect([
  HostSummary,
  Type.Object({
    fqdn: Type.Union([Type.String(), Type.Null()]),
    facts: Type.Union([
      Type.Object(
        {
          users: Type.Optional(Type.Array(Type.Object({ user: Type.String(), tty: Type.Optional(Type.String()), host: Type.Optional(Type.String()), loginAt: Type.Optional(Type.String()) }))),
          pendingReboot: Type.Optional(Type.Object({ required: Type.Boolean(), reasons: Type.Array(Type.String()) })),
        },
        { additionalProperties: true, description: "the agent's last full report of the host (shared/src/protocol HostFacts); every field is sent" },
      ),
      Type.Null(),
    ]),
    lastSeq: Type.Integer(),
    sessions: Type.Array(HostSession),
  }),
]);

const HostId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export function hostRoutes(app: ApiInstance, ctx: ControllerContext): void {
  const staleMs = onlineStaleMs(ctx.config.heartbeatSec);

  app.get(
    '/hosts',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: 'Search hosts by hostname, FQDN, serial, address, id, logged-in user or label (key=value, or a value)',
        tags: ['hosts'],
        querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 255 })), ...Paging }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(HostSummary), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() }), '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { q, limit = 50, offset = 0 } = req.query;
      const result = await searchHosts(ctx.db, { q, limit, offset, now: new Date(ctx.clock.now()), staleMs });
      return { ...result, limit, offset };
    },
  );

  app.get(
    '/hosts/resolve',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: 'Exactly one host from an id, hostname, FQDN, address, serial or unique id prefix: 404 PF_ERR_NOT_FOUND when none matches, 409 PF_ERR_HOST_AMBIGUOUS (details.candidates) when several do',
        tags: ['hosts'],
        querystring: Type.Object({ q: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            id: Type.String(),
            hostname: Type.String(),
            fqdn: Type.Union([Type.String(), Type.Null()]),
            status: Type.String(),
            matchedBy: OneOf(['id', 'hostname', 'fqdn', 'address', 'serial', 'id-prefix']),
          }),
          '4xx': ErrorResponse,
        },
      },
    },
    async (req) => resolveHost(ctx.db, req.query.q),
  );

  app.get(
    '/hosts/:id',
    { config: { auth: 'helpdesk' }, schema: { summary: 'One host: OS, hardware, facts, package count, last seen, online', tags: ['hosts'], params: HostId, response: { 200: HostDetail, '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      const host = await getHost(ctx.db, id, new Date(ctx.clock.now()), staleMs);
      if (!host) throw new PfError(Errors.NOT_FOUND, `host ${id} not found`);
      return host;
    },
  );

  app.get(
    '/hosts/:id/packages',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: "A host's installed packages",
        tags: ['hosts'],
        params: HostId,
        querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 255 })), ...Paging }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            items: Type.Array(Type.Object({ name: Type.String(), version: Type.String(), arch: Type.String(), sourceName: Type.String(), sourceVersion: Type.String(), manager: OneOf(['dpkg', 'rpm', 'windows']) })),
            total: Type.Integer(),
            limit: Type.Integer(),
            offset: Type.Integer(),
          }),
          '4xx': ErrorResponse,
        },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { q, limit = 50, offset = 0 } = req.query;
      if (!(await hostExists(ctx.db, id))) throw new PfError(Errors.NOT_FOUND, `host ${id} not found`);
      return { ...(await listHostPackages(ctx.db, id, { q, limit, offset })), limit, offset };
    },
  );

  app.post(
    '/hosts/:id/revoke',
    {
      config: { auth: 'admin' },
      schema: {
        summary: "Revoke a host's agent: its socket is closed at once, it cannot reconnect, unsent commands are cancelled",
        tags: ['hosts'],
        params: HostId,
        body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })),
        response: { 200: Type.Object({ revoked: Type.String(), hostname: Type.String(), cancelledCommands: Type.Integer() }), '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { id } = req.params;
      const reason = req.body.reason;
      const done = await ctx.db.transaction((tx) => revokeHost(tx, id, { now: ctx.clock.now(), actor: actorOf(req), reason, requestId: req.id }));
      // After the commit: the replica holding the socket closes it; a lost notice still leaves the agent refused at its next handshake.
      await ctx.bus.publish(REVOCATION_CHANNEL, id);
      await announceHint(ctx.bus, req.log, { kind: 'host', id });
      return { revoked: id, ...done };
    },
  );
}
