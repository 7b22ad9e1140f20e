import { Type } from '@sinclair/typebox';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import type { RolloutService } from '../../rollout/rollout-service';
import { approveRing, addFreeze, changeRolloutState, deleteFreeze, listFreezes } from '../../rollout/rollout-control';
import { createRollout } from '../../rollout/rollout-create';
import { getRollout, getRolloutHosts, listRollouts, ROLLOUT_STATES } from '../../rollout/rollout-view';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { findRing } from '../../rollout/ring-store';
import { actorOf } from '../auth';
import { announceHint } from '../../live/hints';
import { ErrorResponse, OneOf } from '../schemas';
import { findRelease, releasesDirOf } from '../../releases/release-store';

const IdParam = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }) });
const PatchId = Type.String({ pattern: '^(USN-[0-9]+-[0-9]+|KB[0-9]{6,8})$' });
const PackageVersion = Type.Object(
  { name: Type.String({ pattern: '^[a-z0-9][a-z0-9+.-]+$', maxLength: 200 }), version: Type.String({ pattern: '^(?:[0-9]+:)?[A-Za-z0-9][A-Za-z0-9.+~-]*$', maxLength: 200 }) },
  { additionalProperties: false },
);
const StartBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    patches: Type.Optional(Type.Array(PatchId, { maxItems: 500 })),
    packages: Type.Optional(Type.Array(PackageVersion, { maxItems: 500 })),
    agentVersion: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,6}\\.[0-9]{1,6}\\.[0-9]{1,6}$', description: 'roll this agent version out instead (update-agent commands); its signed metadata must be in the releases folder and not expired' }),
    ),
    rings: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 })),
    expedite: Type.Optional(Type.Boolean({ description: 'skip deferral and soak (admins only); windows and freezes still hold' })),
    releasedAt: Type.Optional(Type.String({ format: 'date-time', description: 'release date deferrals count from (default: the advisory date, else now)' })),
  },
  { additionalProperties: false },
);
const Reason = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });
const Approve = Type.Object({ ring: Type.String({ minLength: 1, maxLength: 64 }), comment: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });
const Freeze = Type.Object(
  {
    ring: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'ring name or id; omit for every ring' })),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.String({ format: 'date-time' }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);
/** Host counts by rollout host state (pending, installing, installed, failed, ...). */
const HostCounts = Type.Record(Type.String(), Type.Integer());
const RolloutSummarySchema = {
  id: Type.String(),
  name: Type.String(),
  content: Type.Object({
    patches: Type.Array(Type.String()),
    packages: Type.Array(Type.Object({ name: Type.String(), version: Type.String() })),
    agentUpdate: Type.Optional(
      Type.Object({
        version: Type.String(),
        manifest: Type.String(),
        files: Type.Array(Type.Object({ platform: Type.String(), name: Type.String(), sha256: Type.String(), size: Type.Integer() })),
      }),
    ),
  }),
  state: OneOf(ROLLOUT_STATES),
  stateReason: Type.Union([Type.String(), Type.Null()]),
  expedite: Type.Boolean(),
  releasedAt: Type.String({ format: 'date-time' }),
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  hosts: HostCounts,
};
const RolloutRingSchema = Type.Object({
  ring: Type.String(),
  ringId: Type.String(),
  position: Type.Integer(),
  state: Type.String({ description: 'waiting, scheduled, installing, soaking, completed, halted, cancelled' }),
  note: Type.Union([Type.String(), Type.Null()]),
  eligibleAt: Type.String({ format: 'date-time' }),
  deadlineAt: Type.String({ format: 'date-time' }),
  soakUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  wave: Type.Integer(),
  approvals: Type.Object({ needed: Type.Integer(), by: Type.Array(Type.String()) }),
  hosts: HostCounts,
  deadlineMissed: Type.Integer(),
  gate: Type.Object({ state: OneOf(['not-started', 'watching', 'passed', 'stopped']), trippedClasses: Type.Array(Type.String()) }),
});
const RolloutSchema = Type.Object({
  ...RolloutSummarySchema,
  rings: Type.Array(RolloutRingSchema),
  incidents: Type.Array(Type.Object({ id: Type.String(), gate: Type.String(), hostClass: Type.Union([Type.String(), Type.Null()]), scope: Type.String(), state: Type.String(), summary: Type.String(), openedAt: Type.String({ format: 'date-time' }) })),
});
const RolloutHostSchema = Type.Object({
  hostId: Type.String(),
  hostname: Type.String(),
  ring: Type.String(),
  state: Type.String(),
  wave: Type.Union([Type.Integer(), Type.Null()]),
  attempts: Type.Integer(),
  commandId: Type.Union([Type.String(), Type.Null()]),
  packages: Type.Array(Type.Object({ name: Type.String(), version: Type.String() })),
  kb: Type.Union([Type.String(), Type.Null()]),
  replaced: Type.Union([Type.Array(Type.Object({ name: Type.String(), from: Type.Union([Type.String(), Type.Null()]), to: Type.Union([Type.String(), Type.Null()]) })), Type.Null()]),
  rebootRequired: Type.Boolean(),
  errorCode: Type.Union([Type.String(), Type.Null()]),
  deadlineMissedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  installedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  bootState: Type.String({ description: 'none, expected, back, failed' }),
  rebootDueBy: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const FreezeSchema = Type.Object({ id: Type.String(), ring: Type.Union([Type.String(), Type.Null()]), startsAt: Type.String({ format: 'date-time' }), endsAt: Type.String({ format: 'date-time' }), reason: Type.String(), createdBy: Type.String() });

/** Rollouts (operators start and steer them; admins approve, expedite and roll back) and change freezes (admins). */
export function rolloutRoutes(app: ApiInstance, ctx: ControllerContext, rollouts: RolloutService): void {
  const rolloutNow = () => rollouts.rolloutClock.clock.now();

  app.post(
    '/rollouts',
    { config: { auth: 'operator' }, schema: { summary: 'Start a rollout of patches or package versions through the rings', tags: ['rollout'], body: StartBody, response: { 201: RolloutSchema, '4xx': ErrorResponse } } },
    async (req, reply) => {
      const body = req.body;
      if (body.expedite && req.principal?.role !== 'admin') throw new PfError(Errors.FORBIDDEN, 'expediting a rollout needs the admin role');
      // The release must be there and unexpired now (agents refuse expired metadata); the wall clock, as agents use.
      const release = body.agentVersion === undefined ? undefined : findRelease(releasesDirOf(ctx.config), body.agentVersion, (ctx.netClock ?? ctx.clock).now());
      const agentUpdate = release ? { version: release.version, manifest: release.manifest, files: release.files } : undefined;
      const id = await ctx.db.transaction((tx) =>
        createRollout(
          tx,
          { name: body.name, patches: body.patches ?? [], packages: body.packages ?? [], agentUpdate, rings: body.rings, expedite: body.expedite === true, releasedAt: body.releasedAt ? new Date(body.releasedAt) : undefined },
          { now: rolloutNow(), realNow: ctx.clock.now(), actor: actorOf(req), requestId: req.id },
        ),
      );
      await announceHint(ctx.bus, req.log, { kind: 'rollout', id });
      rollouts.kick();
      return reply.code(201).send(await getRollout(ctx.db, id));
    },
  );

  app.get(
    '/rollouts',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: 'Recent rollouts with host counts by state',
        tags: ['rollout'],
        querystring: Type.Object({ patch: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'only rollouts carrying this catalog patch (its page shows their halts)' })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(Type.Object(RolloutSummarySchema)) }), '4xx': ErrorResponse },
      },
    },
    async (req) => ({ items: await listRollouts(ctx.db, 50, req.query.patch) }),
  );

  app.get(
    '/rollouts/:id',
    { config: { auth: 'helpdesk' }, schema: { summary: 'A rollout: state, rings (state, window notes, approvals, deadlines) and host counts', tags: ['rollout'], params: IdParam, response: { 200: RolloutSchema, '4xx': ErrorResponse } } },
    async (req) => getRollout(ctx.db, req.params.id),
  );

  app.get(
    '/rollouts/:id/hosts',
    { config: { auth: 'helpdesk' }, schema: { summary: 'Every host of a rollout with its state, command and recorded versions', tags: ['rollout'], params: IdParam, response: { 200: Type.Object({ items: Type.Array(RolloutHostSchema) }), '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      await getRollout(ctx.db, id); // 404 for an unknown id rather than an empty list
      return { items: await getRolloutHosts(ctx.db, id) };
    },
  );

  for (const op of ['pause', 'resume', 'cancel', 'rollback'] as const) {
    app.post(
      `/rollouts/:id/${op}`,
      { config: { auth: op === 'rollback' ? 'admin' : 'operator' }, schema: { summary: `${op[0]?.toUpperCase()}${op.slice(1)} a rollout`, tags: ['rollout'], params: IdParam, body: Type.Optional(Reason), response: { 200: RolloutSchema, '4xx': ErrorResponse } } },
      async (req) => {
        const { id } = req.params;
        const reason = req.body.reason;
        await ctx.db.transaction((tx) => changeRolloutState(tx, id, op, { actor: actorOf(req), requestId: req.id, realNow: ctx.clock.now(), reason }));
        await announceHint(ctx.bus, req.log, { kind: 'rollout', id });
        rollouts.kick();
        return getRollout(ctx.db, id);
      },
    );
  }

  app.post(
    '/rollouts/:id/approve',
    { config: { auth: 'admin' }, schema: { summary: "Approve a ring of a rollout (two different admins where policy needs two)", tags: ['rollout'], params: IdParam, body: Approve, response: { 200: Type.Object({ approvals: Type.Integer(), needed: Type.Integer(), rollout: RolloutSchema }), '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      const body = req.body;
      if (!req.principal) throw new PfError(Errors.UNAUTHORIZED);
      const principal = req.principal;
      const result = await ctx.db.transaction((tx) => approveRing(tx, id, body.ring, principal, { actor: actorOf(req), requestId: req.id, realNow: ctx.clock.now(), comment: body.comment }));
      await announceHint(ctx.bus, req.log, { kind: 'rollout', id });
      rollouts.kick();
      return { ...result, rollout: await getRollout(ctx.db, id) };
    },
  );

  app.get(
    '/freezes',
    { config: { auth: 'helpdesk' }, schema: { summary: 'Change freezes', tags: ['rollout'], response: { 200: Type.Object({ items: Type.Array(FreezeSchema) }) } } },
    async () => ({ items: await listFreezes(ctx.db) }),
  );

  app.post(
    '/freezes',
    { config: { auth: 'admin' }, schema: { summary: 'Add a change freeze (no ring starts installing inside it)', tags: ['rollout'], body: Freeze, response: { 201: FreezeSchema, '4xx': ErrorResponse } } },
    async (req, reply) => {
      const body = req.body;
      let ringId: string | null = null;
      if (body.ring) {
        const ring = await findRing(ctx.db, body.ring);
        if (!ring) throw new PfError(Errors.NOT_FOUND, `ring ${body.ring} not found`);
        ringId = ring.id;
      }
      const view = await ctx.db.transaction((tx) => addFreeze(tx, { ringId, startsAt: new Date(body.startsAt), endsAt: new Date(body.endsAt), reason: body.reason }, { actor: actorOf(req), requestId: req.id, realNow: ctx.clock.now() }));
      return reply.code(201).send(view);
    },
  );

  app.delete(
    '/freezes/:id',
    { config: { auth: 'admin' }, schema: { summary: 'Remove a change freeze', tags: ['rollout'], params: IdParam, response: { 200: Type.Object({ deleted: Type.String() }), '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      await ctx.db.transaction((tx) => deleteFreeze(tx, id, { actor: actorOf(req), requestId: req.id, realNow: ctx.clock.now() }));
      return { deleted: id };
    },
  );
}
