/**
 * Webhook subscriptions. Owns the table `webhooks`. The secret leaves this
 * module once, in what createWebhook returns; views and lists never carry it.
 * Creating and deleting are audited (without the secret, without the URL's
 * query, which some receivers use as a credential).
 */
import { randomBytes } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { audit } from '../audit/audit';
import type { Db } from '../db/index';
import { webhooks } from '../db/schema/index';
import { EVENT_TYPES, type EventType } from '../events/types';
import { newWebhookSecret } from './signature';
import { checkWebhookUrl } from './url';

/** A webhook as the API lists it: never its secret. */
export interface WebhookView {
  id: string;
  url: string;
  description: string;
  events: EventType[];
  createdAt: string;
  createdBy: string;
}

type Row = typeof webhooks.$inferSelect;

function view(r: Row): WebhookView {
  return { id: r.id, url: r.url, description: r.description, events: r.events as EventType[], createdAt: r.createdAt.toISOString(), createdBy: r.createdBy };
}

/** The URL without query and fragment, for the audit log. */
function auditedUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** Who does it, for the audit log. */
export interface ActorRef {
  actor: string;
  requestId?: string | undefined;
}

/** Creates a webhook for `events` (default: all); returns it with its secret, shown this once. */
export async function createWebhook(db: Db, input: { url: string; events?: readonly string[] | undefined; description?: string | undefined }, at: Date, by: ActorRef): Promise<WebhookView & { secret: string }> {
  const url = checkWebhookUrl(input.url);
  const events = [...new Set(input.events ?? EVENT_TYPES)];
  const unknown = events.filter((e) => !(EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length > 0) throw new PfError(Errors.VALIDATION, `unknown event type(s) ${unknown.join(', ')}; known: ${EVENT_TYPES.join(', ')}`);
  if (events.length === 0) throw new PfError(Errors.VALIDATION, 'a webhook needs at least one event type');
  const row: Row = { id: `wh_${randomBytes(8).toString('hex')}`, url, description: input.description ?? '', events, secret: newWebhookSecret(), createdAt: at, createdBy: by.actor };
  await db.transaction(async (tx) => {
    await tx.insert(webhooks).values(row);
    await audit(tx, at, { actor: by.actor, action: 'webhook.create', targetType: 'webhook', targetId: row.id, details: { url: auditedUrl(url), events, description: row.description }, requestId: by.requestId });
  });
  return { ...view(row), secret: row.secret };
}

/** Every webhook, newest first (without secrets). */
export async function listWebhooks(db: Db): Promise<WebhookView[]> {
  const rows = await db.select().from(webhooks).orderBy(desc(webhooks.createdAt), webhooks.id);
  return rows.map(view);
}

/** One webhook (without its secret); PF_ERR_NOT_FOUND when there is none. */
export async function getWebhook(db: Db, id: string): Promise<WebhookView> {
  const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id)).limit(1);
  if (!row) throw new PfError(Errors.NOT_FOUND, `webhook ${id} not found`);
  return view(row);
}

/** Deletes a webhook with its deliveries and their log (pending deliveries are dropped). */
export async function deleteWebhook(db: Db, id: string, at: Date, by: ActorRef): Promise<void> {
  await db.transaction(async (tx) => {
    const gone = await tx.delete(webhooks).where(eq(webhooks.id, id)).returning({ url: webhooks.url });
    const row = gone[0];
    if (!row) throw new PfError(Errors.NOT_FOUND, `webhook ${id} not found`);
    await audit(tx, at, { actor: by.actor, action: 'webhook.delete', targetType: 'webhook', targetId: id, details: { url: auditedUrl(row.url) }, requestId: by.requestId });
  });
}
