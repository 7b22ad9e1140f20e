import { Type } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { CommandParamsSchema } from '@patchfleet/shared/protocol';
import type { CommandService } from '../../commands/command-service';
import { COMMAND_STATES, getCommand, hostCommands, type CommandRow } from '../../commands/command-store';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { unknownHostIds } from '../../hosts/queries';
import { actorOf } from '../auth';
import { ErrorResponse, FreeObject, OneOf } from '../schemas';

const IdParam = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }) });
const IssueBody = Type.Object(
  {
    hostIds: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }), { minItems: 1, maxItems: 20_000 }),
    action: Type.Union([Type.Literal('install'), Type.Literal('rollback'), Type.Literal('reboot')]),
    target: Type.String({ minLength: 1, maxLength: 200 }),
    params: CommandParamsSchema,
    ttlSec: Type.Optional(Type.Integer({ minimum: 10, maximum: 7 * 86_400, default: 3600 })),
  },
  { additionalProperties: false },
);
const Time = Type.String({ format: 'date-time' });
const MaybeTime = Type.Union([Time, Type.Null()]);
/** A command as the API shows it (commandView). */
const CommandSchema = Type.Object({
  id: Type.String(),
  hostId: Type.String(),
  action: Type.String({ description: 'install, rollback, reboot, ...' }),
  target: Type.String(),
  params: FreeObject('the signed parameters (shared/src/protocol CommandParams)'),
  state: OneOf(COMMAND_STATES),
  issuedAt: Time,
  notAfter: Time,
  sentAt: MaybeTime,
  acknowledgedAt: MaybeTime,
  startedAt: MaybeTime,
  finishedAt: MaybeTime,
  deliveries: Type.Integer(),
  rolloutId: Type.Union([Type.String(), Type.Null()]),
  result: Type.Union([FreeObject("the agent's result (shared/src/protocol CommandResult)"), Type.Null()]),
  errorCode: Type.Union([Type.String(), Type.Null()]),
  errorMessage: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.String(),
});

/** What the API shows of a command (the signature stays inside). */
export function commandView(r: CommandRow) {
  return {
    id: r.id,
    hostId: r.hostId,
    action: r.action,
    target: r.target,
    params: r.params,
    state: r.state,
    issuedAt: r.issuedAt.toISOString(),
    notAfter: r.notAfter.toISOString(),
    sentAt: r.sentAt?.toISOString() ?? null,
    acknowledgedAt: r.acknowledgedAt?.toISOString() ?? null,
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
    deliveries: r.deliveries,
    rolloutId: r.rolloutId,
    result: r.result,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    createdBy: r.createdBy,
  };
}

/** Ad-hoc commands (admins): a reboot, an install outside any rollout; and reading commands back. */
export function commandRoutes(app: ApiInstance, ctx: ControllerContext, service: CommandService): void {
  app.post(
    '/commands',
    { config: { auth: 'admin' }, schema: { summary: 'Issue one signed command to each of the given hosts', tags: ['commands'], body: IssueBody, response: { 201: Type.Object({ items: Type.Array(Type.Object({ id: Type.String(), hostId: Type.String(), state: OneOf(COMMAND_STATES) })) }), '4xx': ErrorResponse } } },
    async (req, reply) => {
      const body = req.body;
      const unique = [...new Set(body.hostIds)];
      const unknown = await unknownHostIds(ctx.db, unique);
      if (unknown.length > 0) throw new PfError(Errors.NOT_FOUND, `unknown host(s): ${unknown.slice(0, 10).join(', ')}`);
      const rows = await service.issue(
        unique.map((hostId) => ({ hostId, action: body.action, target: body.target, params: body.params, ttlMs: (body.ttlSec ?? 3600) * 1000 })),
        actorOf(req),
        req.id,
      );
      return reply.code(201).send({ items: rows.map((r) => ({ id: r.id, hostId: r.hostId, state: r.state })) });
    },
  );

  app.get(
    '/commands/:id',
    { config: { auth: 'helpdesk' }, schema: { summary: 'One command and where it stands', tags: ['commands'], params: IdParam, response: { 200: CommandSchema, '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      const row = await getCommand(ctx.db, id);
      if (!row) throw new PfError(Errors.NOT_FOUND, `command ${id} not found`);
      return commandView(row);
    },
  );

  app.get(
    '/hosts/:id/commands',
    { config: { auth: 'helpdesk' }, schema: { summary: "A host's commands, newest first", tags: ['commands'], params: IdParam, response: { 200: Type.Object({ items: Type.Array(CommandSchema) }), '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      const rows = await hostCommands(ctx.db, id, 200);
      return { items: rows.map(commandView) };
    },
  );
}
