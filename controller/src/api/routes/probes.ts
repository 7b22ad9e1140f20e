/**
 * Health configuration: probes (`/probes`) and the health settings
 * (`/settings/health`: sample interval, retention). Admins change;
 * operators and helpdesk read. Every change is audited and announced so
 * agents receive their new `healthConfig` at once.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { HEALTH_INTERVAL, ProbeConfigSchema } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { audit } from '../../audit/audit';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { announceHealthConfigChanged } from '../../health/config-push';
import { createProbe, deleteProbe, findProbe, listProbes, updateProbe } from '../../health/probes';
import { getHealthSettings, RETENTION_DAYS_LIMITS, setHealthSettings } from '../../health/settings';
import { actorOf } from '../auth';
import { ErrorResponse, Labels } from '../schemas';

const wire = ProbeConfigSchema.properties;
const Scope = Type.Object(
  { labels: Type.Optional(Labels), ringId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'ring id or name' })) },
  { additionalProperties: false, description: 'which hosts run the probe: every label must match, and the host must be in the ring when given; empty: every host' },
);

/** Editable probe fields: the wire fields of ProbeConfigSchema (same bounds) plus scope and enabled. */
const ProbeFields = {
  name: wire.name,
  kind: wire.kind,
  timeoutMs: wire.timeoutMs,
  url: wire.url,
  expectStatus: wire.expectStatus,
  maxLatencyMs: wire.maxLatencyMs,
  bodyMatch: wire.bodyMatch,
  host: wire.host,
  port: wire.port,
  argv: wire.argv,
  expectExit: wire.expectExit,
  scope: Scope,
  enabled: Type.Boolean(),
};
const optional = (props: Record<string, TSchema>) => Object.fromEntries(Object.entries(props).map(([k, v]) => [k, Type.Optional(v)]));
const CreateBody = Type.Object({ ...optional(ProbeFields), name: ProbeFields.name, kind: ProbeFields.kind }, { additionalProperties: false });
const PatchBody = Type.Object(optional(ProbeFields), { additionalProperties: false, minProperties: 1 });
const ProbeView = Type.Object({
  id: Type.String(),
  ...optional(ProbeFields),
  name: Type.String(),
  kind: Type.String(),
  timeoutMs: Type.Integer(),
  scope: Type.Object({}, { additionalProperties: true }),
  enabled: Type.Boolean(),
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const Settings = Type.Object({
  intervalSec: Type.Integer({ minimum: HEALTH_INTERVAL.minSec, maximum: HEALTH_INTERVAL.maxSec, description: 'seconds between health samples' }),
  retentionDays: Type.Integer({ minimum: RETENTION_DAYS_LIMITS.min, maximum: RETENTION_DAYS_LIMITS.max, description: 'days raw samples are kept (hourly roll-ups: at least 90)' }),
});

export function probeRoutes(app: ApiInstance, ctx: ControllerContext): void {
  const now = () => new Date(ctx.clock.now());

  app.get(
    '/probes',
    { config: { auth: 'helpdesk' }, schema: { summary: 'List health probes', tags: ['health'], response: { 200: Type.Object({ items: Type.Array(ProbeView) }) } } },
    async () => ({ items: await listProbes(ctx.db) }),
  );

  app.post(
    '/probes',
    { config: { auth: 'admin' }, schema: { summary: 'Create a health probe (http: url; tcp: host and port; command: argv)', tags: ['health'], body: CreateBody, response: { 201: ProbeView, '4xx': ErrorResponse } } },
    async (req, reply) => {
      const body = req.body;
      const at = now();
      const probe = await ctx.db.transaction(async (tx) => {
        const made = await createProbe(tx, body, actorOf(req), at);
        await audit(tx, at, { actor: actorOf(req), action: 'probe.create', targetType: 'probe', targetId: made.id, details: { ...made }, requestId: req.id });
        return made;
      });
      await announceHealthConfigChanged(ctx);
      return reply.code(201).send(probe);
    },
  );

  app.get(
    '/probes/:id',
    { config: { auth: 'helpdesk' }, schema: { summary: 'One probe (by id or name)', tags: ['health'], params: IdParam, response: { 200: ProbeView, '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      const probe = await findProbe(ctx.db, id);
      if (!probe) throw new PfError(Errors.NOT_FOUND, `probe ${id} not found`);
      return probe;
    },
  );

  app.patch(
    '/probes/:id',
    { config: { auth: 'admin' }, schema: { summary: 'Change a probe', tags: ['health'], params: IdParam, body: PatchBody, response: { 200: ProbeView, '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      const body = req.body;
      const at = now();
      const probe = await ctx.db.transaction(async (tx) => {
        const changed = await updateProbe(tx, id, body, at);
        await audit(tx, at, { actor: actorOf(req), action: 'probe.update', targetType: 'probe', targetId: changed.id, details: { change: { ...body } }, requestId: req.id });
        return changed;
      });
      await announceHealthConfigChanged(ctx);
      return probe;
    },
  );

  app.delete(
    '/probes/:id',
    { config: { auth: 'admin' }, schema: { summary: 'Delete a probe', tags: ['health'], params: IdParam, response: { 200: ProbeView, '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      const at = now();
      const probe = await ctx.db.transaction(async (tx) => {
        const gone = await deleteProbe(tx, id);
        await audit(tx, at, { actor: actorOf(req), action: 'probe.delete', targetType: 'probe', targetId: gone.id, details: { name: gone.name }, requestId: req.id });
        return gone;
      });
      await announceHealthConfigChanged(ctx);
      return probe;
    },
  );

  app.get(
    '/settings/health',
    { config: { auth: 'helpdesk' }, schema: { summary: 'Health sample interval and retention', tags: ['health'], response: { 200: Settings } } },
    async () => getHealthSettings(ctx.db),
  );

  app.put(
    '/settings/health',
    {
      config: { auth: 'admin' },
      schema: { summary: 'Change the health sample interval and/or retention', tags: ['health'], body: Type.Partial(Settings, { additionalProperties: false, minProperties: 1 }), response: { 200: Settings, '4xx': ErrorResponse } },
    },
    async (req) => {
      const body = req.body;
      const at = now();
      const settings = await ctx.db.transaction(async (tx) => {
        const before = await getHealthSettings(tx);
        const after = await setHealthSettings(tx, body, actorOf(req), at);
        await audit(tx, at, { actor: actorOf(req), action: 'health.settings', targetType: 'settings', targetId: 'health', details: { before: { ...before }, after: { ...after } }, requestId: req.id });
        return after;
      });
      await announceHealthConfigChanged(ctx);
      return settings;
    },
  );
}
