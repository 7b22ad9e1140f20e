import { Type, type TSchema } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { audit } from '../../audit/audit';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { createRing, deleteRing, findRing, listRings, listRules, pinHost, replaceRules, runAssignment, unpinHost, updateRing, type RingView as StoredRing } from '../../rollout/ring-store';
import { approvalsNeeded } from '../../rollout/rollout-create';
import { isAlwaysOpen, nextOpenings, openWindowAt } from '../../rollout/windows';
import { actorOf } from '../auth';
import { ErrorResponse, Labels } from '../schemas';

const Window = Type.Object(
  { cron: Type.String({ minLength: 1, maxLength: 128 }), timeZone: Type.String({ minLength: 1, maxLength: 64 }), durationMin: Type.Integer({ minimum: 1, maximum: 7 * 24 * 60 }) },
  { additionalProperties: false },
);

const Days = Type.Integer({ minimum: 0, maximum: 365 });

/** Editable ring settings (all optional: the same object serves create and edit). */
const RingSettings = {
  name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
  position: Type.Integer({ minimum: 0, maximum: 1000 }),
  // A type list, not anyOf: with coerceTypes, ajv would turn null into 0 against an integer branch.
  percent: Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 0, maximum: 100, description: 'share of automatically assigned hosts; null: pinned/rule hosts only' }),
  deferralDays: Days,
  deadlineDays: Days,
  graceDays: Days,
  windows: Type.Array(Window, { maxItems: 32 }),
  waveSize: Type.Integer({ minimum: 0, maximum: 1_000_000, description: '0: the whole ring in one wave' }),
  maxConcurrent: Type.Integer({ minimum: 0, maximum: 1_000_000, description: '0: no limit' }),
  soakHours: Type.Integer({ minimum: 0, maximum: 24 * 365 }),
  promotion: Type.Object({ minHostsDone: Type.Integer({ minimum: 0, maximum: 1_000_000 }), maxFailureRate: Type.Number({ minimum: 0, maximum: 1 }) }, { additionalProperties: false }),
  reboot: Type.Object(
    { policy: Type.Union([Type.Literal('never'), Type.Literal('when-required'), Type.Literal('always')]), deadlineHours: Type.Integer({ minimum: 0, maximum: 24 * 30 }) },
    { additionalProperties: false },
  ),
  approvalRequired: Type.Boolean(),
  health: Type.Object(
    {
      rollback: Type.Union([Type.Literal('harmed'), Type.Literal('cohort'), Type.Literal('none')], { description: 'after a tripped gate roll back the harmed hosts, every patched host of the class (cohort), or none' }),
      rebootGraceMin: Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, description: 'minutes a host has to come back with a new boot id after an install that reboots' }),
      alpha: Type.Number({ exclusiveMinimum: 0, maximum: 0.2, description: "the gates' anytime-valid false-trip bound" }),
      watchHours: Type.Integer({ minimum: 0, maximum: 90 * 24, description: 'hours the gates keep judging a host after its install, whatever the ring or rollout state (0: only while the ring installs or soaks)' }),
    },
    { additionalProperties: false },
  ),
};

/** On create and edit, health fields may be given one by one (unset ones keep their value or the default). */
const HealthInput = Type.Partial(RingSettings.health, { additionalProperties: false });

const optional = (props: Record<string, TSchema>) => Object.fromEntries(Object.entries(props).map(([k, v]) => [k, Type.Optional(v)]));

const RingView = Type.Object({
  id: Type.String(),
  ...RingSettings,
  name: Type.String(),
  approvals: Type.Object(
    { rollout: Type.Integer(), expedited: Type.Integer() },
    { description: 'distinct people who must approve this ring in a rollout (and in an expedited one), as the planner counts them from approvalRequired and the ring size' },
  ),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

/** A ring as the API shows it: its settings and the approvals they imply. */
const viewOf = (ring: StoredRing) => ({ ...ring, approvals: { rollout: approvalsNeeded(ring, false), expedited: approvalsNeeded(ring, true) } });

const Instant = Type.String({ format: 'date-time' });
const NextWindows = Type.Object({
  at: Type.String({ format: 'date-time', description: 'the rollout clock now (the time the planner reads)' }),
  alwaysOpen: Type.Boolean({ description: 'no windows: installs may start at any time' }),
  openNow: Type.Union([Type.Object({ start: Instant, end: Instant }), Type.Null()], { description: 'the window occurrence open now, if any' }),
  openings: Type.Array(
    Type.Object({ window: Type.Integer({ description: 'index in the ring\'s windows' }), cron: Type.String(), timeZone: Type.String(), start: Instant, end: Instant }),
    { description: 'the next openings after `at`, earliest first' },
  ),
});

const RuleMatch = Type.Object(
  {
    labels: Type.Optional(Labels),
    osId: Type.Optional(Type.String({ maxLength: 64 })),
    osVersion: Type.Optional(Type.String({ maxLength: 64 })),
    role: Type.Optional(Type.String({ maxLength: 256 })),
    criticality: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
const Rule = Type.Object({ match: RuleMatch, ringId: Type.String({ minLength: 1, maxLength: 64, description: 'ring id or name' }) }, { additionalProperties: false });

const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * Rings, host pins, assignment rules and the assignment run. Admins change; operators and helpdesk read.
 * `planNow` reads the clock the rollout planner reads (a virtual one under `rolloutClock`); absent: `ctx.clock`.
 */
export function ringRoutes(app: ApiInstance, ctx: ControllerContext, planNow: () => number = () => ctx.clock.now()): void {
  const now = () => new Date(ctx.clock.now());

  app.get(
    '/rings',
    { config: { auth: 'helpdesk' }, schema: { summary: 'List rings in release order', tags: ['rollout'], response: { 200: Type.Object({ items: Type.Array(RingView) }) } } },
    async () => ({ items: (await listRings(ctx.db)).map(viewOf) }),
  );

  app.post(
    '/rings',
    {
      config: { auth: 'admin' },
      schema: { summary: 'Create a ring', tags: ['rollout'], body: Type.Object({ ...optional(RingSettings), health: Type.Optional(HealthInput), name: RingSettings.name }, { additionalProperties: false }), response: { 201: RingView, '4xx': ErrorResponse } },
    },
    async (req, reply) => {
      const body = req.body;
      const at = now();
      const ring = await ctx.db.transaction(async (tx) => {
        const made = await createRing(tx, body, at);
        await audit(tx, at, { actor: actorOf(req), action: 'ring.create', targetType: 'ring', targetId: made.id, details: { ...body }, requestId: req.id });
        return made;
      });
      return reply.code(201).send(viewOf(ring));
    },
  );

  app.get(
    '/rings/:id',
    { config: { auth: 'helpdesk' }, schema: { summary: 'One ring (by id or name)', tags: ['rollout'], params: IdParam, response: { 200: RingView, '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      const ring = await findRing(ctx.db, id);
      if (!ring) throw new PfError(Errors.NOT_FOUND, `ring ${id} not found`);
      return viewOf(ring);
    },
  );

  app.get(
    '/rings/:id/next-windows',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: "The next openings of a ring's maintenance windows, as the rollout planner computes them",
        tags: ['rollout'],
        params: IdParam,
        querystring: Type.Object({ count: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 5 })) }, { additionalProperties: false }),
        response: { 200: NextWindows, '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { count = 5 } = req.query;
      const ring = await findRing(ctx.db, id);
      if (!ring) throw new PfError(Errors.NOT_FOUND, `ring ${id} not found`);
      const at = planNow();
      const iso = (t: number) => new Date(t).toISOString();
      const open = openWindowAt(ring.windows, at);
      return {
        at: iso(at),
        alwaysOpen: isAlwaysOpen(ring.windows),
        openNow: open ? { start: iso(open.start), end: iso(open.end) } : null,
        openings: nextOpenings(ring.windows, at, count).map((o) => ({ window: o.window, cron: o.of.cron, timeZone: o.of.timeZone, start: iso(o.start), end: iso(o.end) })),
      };
    },
  );

  app.patch(
    '/rings/:id',
    {
      config: { auth: 'admin' },
      schema: { summary: 'Change ring settings', tags: ['rollout'], params: IdParam, body: Type.Object({ ...optional(RingSettings), health: Type.Optional(HealthInput) }, { additionalProperties: false, minProperties: 1 }), response: { 200: RingView, '4xx': ErrorResponse } },
    },
    async (req) => {
      const { id } = req.params;
      const body = req.body;
      const at = now();
      return ctx.db.transaction(async (tx) => {
        const ring = await updateRing(tx, id, body, at);
        await audit(tx, at, { actor: actorOf(req), action: 'ring.update', targetType: 'ring', targetId: ring.id, details: { ...body }, requestId: req.id });
        return viewOf(ring);
      });
    },
  );

  app.delete(
    '/rings/:id',
    { config: { auth: 'admin' }, schema: { summary: 'Delete a ring (refused while it has pins or rules)', tags: ['rollout'], params: IdParam, response: { 200: RingView, '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      const at = now();
      return ctx.db.transaction(async (tx) => {
        const ring = await deleteRing(tx, id);
        await audit(tx, at, { actor: actorOf(req), action: 'ring.delete', targetType: 'ring', targetId: ring.id, details: { name: ring.name }, requestId: req.id });
        return viewOf(ring);
      });
    },
  );

  app.put(
    '/hosts/:id/ring',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Pin a host to a ring',
        tags: ['rollout'],
        params: IdParam,
        body: Type.Object({ ring: Type.String({ minLength: 1, maxLength: 64, description: 'ring id or name' }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ hostId: Type.String(), ringId: Type.String(), ringName: Type.String() }), '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { ring: ringRef } = req.body;
      const at = now();
      return ctx.db.transaction(async (tx) => {
        const ring = await pinHost(tx, id, ringRef, actorOf(req), at);
        await audit(tx, at, { actor: actorOf(req), action: 'ring.pin', targetType: 'host', targetId: id, details: { ringId: ring.id, ringName: ring.name }, requestId: req.id });
        return { hostId: id, ringId: ring.id, ringName: ring.name };
      });
    },
  );

  app.delete(
    '/hosts/:id/ring',
    { config: { auth: 'admin' }, schema: { summary: "Remove a host's ring pin", tags: ['rollout'], params: IdParam, response: { 200: Type.Object({ hostId: Type.String(), unpinned: Type.Boolean() }), '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      const at = now();
      return ctx.db.transaction(async (tx) => {
        const unpinned = await unpinHost(tx, id);
        if (!unpinned) throw new PfError(Errors.NOT_FOUND, `host ${id} is not pinned to a ring`);
        await audit(tx, at, { actor: actorOf(req), action: 'ring.unpin', targetType: 'host', targetId: id, requestId: req.id });
        return { hostId: id, unpinned };
      });
    },
  );

  app.get(
    '/ring-rules',
    { config: { auth: 'helpdesk' }, schema: { summary: 'Assignment rules, in the order they are tried', tags: ['rollout'], response: { 200: Type.Object({ items: Type.Array(Rule) }) } } },
    async () => ({ items: await listRules(ctx.db) }),
  );

  app.put(
    '/ring-rules',
    {
      config: { auth: 'admin' },
      schema: { summary: 'Replace all assignment rules', tags: ['rollout'], body: Type.Object({ items: Type.Array(Rule, { maxItems: 500 }) }, { additionalProperties: false }), response: { 200: Type.Object({ items: Type.Array(Rule) }), '4xx': ErrorResponse } },
    },
    async (req) => {
      const { items } = req.body;
      const at = now();
      return ctx.db.transaction(async (tx) => {
        const stored = await replaceRules(tx, items);
        await audit(tx, at, { actor: actorOf(req), action: 'ring-rules.replace', targetType: 'ring-rules', targetId: '*', details: { items: stored }, requestId: req.id });
        return { items: stored };
      });
    },
  );

  app.post(
    '/rings/assign',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Assign every active host to a ring (pins, rules, then automatic) and store the result',
        tags: ['rollout'],
        response: {
          200: Type.Object({
            total: Type.Integer(),
            rings: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), hosts: Type.Integer() })),
            reasons: Type.Object({ pin: Type.Integer(), rule: Type.Integer(), auto: Type.Integer() }),
          }),
          '4xx': ErrorResponse,
        },
      },
    },
    async (req) => {
      const at = now();
      return ctx.db.transaction(async (tx) => {
        const summary = await runAssignment(tx, at);
        await audit(tx, at, { actor: actorOf(req), action: 'ring.assign', targetType: 'rings', targetId: '*', details: { ...summary }, requestId: req.id });
        return summary;
      });
    },
  );
}
