import { Type } from '@sinclair/typebox';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { EVENT_TYPES } from '../../events/types';
import { DELIVERY_STATES, listDeliveries } from '../../webhooks/delivery-store';
import { MAX_WEBHOOK_URL_LENGTH } from '../../webhooks/url';
import { createWebhook, deleteWebhook, getWebhook, listWebhooks } from '../../webhooks/webhook-store';
import { actorOf } from '../auth';
import { ErrorResponse } from '../schemas';

const EventType = Type.Union(EVENT_TYPES.map((e) => Type.Literal(e)));
const IdParam = Type.Object({ id: Type.String({ pattern: '^wh_[0-9a-f]{16}$' }) });
const WebhookView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  description: Type.String(),
  events: Type.Array(EventType),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.String(),
});
const Created = Type.Object({ ...WebhookView.properties, secret: Type.String({ description: 'the HMAC-SHA256 key of X-Patchfleet-Signature; shown this once' }) });
const Attempt = Type.Object({ attempt: Type.Integer(), at: Type.String({ format: 'date-time' }), statusCode: Type.Union([Type.Integer(), Type.Null()]), error: Type.Union([Type.String(), Type.Null()]), durationMs: Type.Integer() });
const DeliveryView = Type.Object({
  id: Type.String(),
  eventId: Type.String(),
  eventType: Type.String(),
  state: Type.Union(DELIVERY_STATES.map((s) => Type.Literal(s))),
  attempts: Type.Integer(),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastStatus: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  log: Type.Array(Attempt),
});

/** Signed webhooks (admins): subscriptions and their delivery log. The secret is returned once, at creation; lists never carry it. */
export function webhookRoutes(app: ApiInstance, ctx: ControllerContext): void {
  app.post(
    '/webhooks',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Create a webhook (http or https URL); the signing secret is returned once',
        tags: ['integrations'],
        body: Type.Object(
          {
            url: Type.String({ minLength: 1, maxLength: MAX_WEBHOOK_URL_LENGTH, description: 'absolute http:// or https:// URL, no user:password (else PF_ERR_WEBHOOK_URL)' }),
            events: Type.Optional(Type.Array(EventType, { minItems: 1, maxItems: EVENT_TYPES.length, uniqueItems: true, description: 'default: every event type' })),
            description: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Created, '4xx': ErrorResponse },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const made = await createWebhook(ctx.db, body, new Date(ctx.clock.now()), { actor: actorOf(req), requestId: req.id });
      return reply.code(201).send(made);
    },
  );

  app.get(
    '/webhooks',
    { config: { auth: 'admin' }, schema: { summary: 'Webhooks, newest first (never their secrets)', tags: ['integrations'], response: { 200: Type.Object({ items: Type.Array(WebhookView) }), '4xx': ErrorResponse } } },
    async () => ({ items: await listWebhooks(ctx.db) }),
  );

  app.delete(
    '/webhooks/:id',
    { config: { auth: 'admin' }, schema: { summary: 'Delete a webhook, its pending deliveries and its delivery log', tags: ['integrations'], params: IdParam, response: { 200: Type.Object({ deleted: Type.String() }), '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      await deleteWebhook(ctx.db, id, new Date(ctx.clock.now()), { actor: actorOf(req), requestId: req.id });
      return { deleted: id };
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Deliveries of a webhook, newest first, each with every attempt (status code, error, duration)',
        tags: ['integrations'],
        params: IdParam,
        querystring: Type.Object({ state: Type.Optional(Type.Union(DELIVERY_STATES.map((s) => Type.Literal(s)))), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(DeliveryView) }), '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { id } = req.params;
      const q = req.query;
      await getWebhook(ctx.db, id);
      return { items: await listDeliveries(ctx.db, id, { state: q.state, limit: q.limit ?? 50 }) };
    },
  );
}
