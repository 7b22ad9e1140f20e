/** The webhooks API on a real database: admins only, the secret once, never listed or logged, URL checks, the delivery log. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { ManualClock, systemClock } from '@patchfleet/shared';
import { auditLog } from '../../db/schema/index';
import { WebhookOutbox } from '../../webhooks/outbox';
import { errorOf, openRouteKit, roleTokens, type RouteKit } from './route-kit.test-support';

const T0 = Date.parse('2026-11-23T12:00:00Z');

describe('webhooks API', () => {
  let kit: RouteKit;
  const tokens = { admin: '', operator: '', helpdesk: '' };

  beforeAll(async () => {
    kit = await openRouteKit(new ManualClock(T0));
    Object.assign(tokens, await roleTokens(kit.db, new Date(T0)));
  });
  afterAll(async () => {
    await kit?.close();
  });

  it('is for admins only', async () => {
    for (const token of [tokens.operator, tokens.helpdesk]) {
      expect((await kit.call('GET', '/api/v1/webhooks', token)).statusCode).toBe(403);
      expect((await kit.call('POST', '/api/v1/webhooks', token, { url: 'https://siem.example/hook' })).statusCode).toBe(403);
    }
    expect((await kit.call('GET', '/api/v1/webhooks', undefined)).statusCode).toBe(401);
  });

  it('creates a webhook, shows its secret once, lists it without the secret, and audits it without the secret or the query', async () => {
    const res = await kit.call('POST', '/api/v1/webhooks', tokens.admin, { url: 'https://chat.example/hooks/abc?token=s3cret', events: ['rollout.halted', 'patch.blocked'], description: 'ops channel' });
    expect(res.statusCode).toBe(201);
    const made = res.json() as { id: string; secret: string; url: string; events: string[]; createdBy: string };
    expect(made.id).toMatch(/^wh_[0-9a-f]{16}$/);
    expect(made.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(made).toMatchObject({ url: 'https://chat.example/hooks/abc?token=s3cret', events: ['rollout.halted', 'patch.blocked'], createdBy: expect.stringMatching(/^token:/) });

    const list = await kit.call('GET', '/api/v1/webhooks', tokens.admin);
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(made.secret);
    expect(list.body).not.toContain('secret');
    expect((list.json() as { items: { id: string; description: string }[] }).items).toContainEqual(expect.objectContaining({ id: made.id, description: 'ops channel' }));

    const [row] = await kit.db.select().from(auditLog).where(eq(auditLog.targetId, made.id));
    expect(row).toMatchObject({ action: 'webhook.create', details: { url: 'https://chat.example/hooks/abc', events: ['rollout.halted', 'patch.blocked'], description: 'ops channel' } });
    expect(JSON.stringify(row)).not.toContain(made.secret);
    expect(JSON.stringify(row)).not.toContain('s3cret');
  });

  it('defaults to every event type', async () => {
    const res = await kit.call('POST', '/api/v1/webhooks', tokens.admin, { url: 'http://10.0.0.5:8080/patchfleet' });
    expect(res.statusCode).toBe(201);
    expect((res.json() as { events: string[] }).events).toEqual(['rollout.halted', 'patch.blocked', 'approval.needed', 'deadline.missed']);
  });

  it('refuses URLs that are not http(s), not absolute or carry credentials with PF_ERR_WEBHOOK_URL, and unknown events with PF_ERR_VALIDATION', async () => {
    for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'javascript:alert(1)', '/relative/path', 'not a url', 'https://user:pw@example.com/hook', `https://example.com/${'a'.repeat(2100)}`]) {
      const res = await kit.call('POST', '/api/v1/webhooks', tokens.admin, { url });
      expect(res.statusCode, url.slice(0, 40)).toBe(400);
      expect(errorOf(res).code, url.slice(0, 40)).toBe(url.length > 2048 ? 'PF_ERR_VALIDATION' : 'PF_ERR_WEBHOOK_URL');
    }
    const bad = await kit.call('POST', '/api/v1/webhooks', tokens.admin, { url: 'https://example.com/h', events: ['rollout.started'] });
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad).code).toBe('PF_ERR_VALIDATION');
  });

  it('lists deliveries with their log, and deletes a webhook with them', async () => {
    const made = (await kit.call('POST', '/api/v1/webhooks', tokens.admin, { url: 'http://127.0.0.1:9/hook', events: ['approval.needed'] })).json() as { id: string };
    await kit.db.transaction((tx) => new WebhookOutbox(systemClock).emit(tx, { type: 'approval.needed', data: { rolloutId: 'ro_1', rolloutName: 'x', ring: 'Broad', approvals: 0, needed: 2 } }));
    const res = await kit.call('GET', `/api/v1/webhooks/${made.id}/deliveries`, tokens.admin);
    expect(res.statusCode).toBe(200);
    const items = (res.json() as { items: { eventType: string; state: string; attempts: number; log: unknown[] }[] }).items;
    expect(items).toEqual([expect.objectContaining({ eventType: 'approval.needed', state: 'pending', attempts: 0, log: [] })]);
    expect((await kit.call('GET', `/api/v1/webhooks/${made.id}/deliveries?state=delivered`, tokens.admin)).json()).toEqual({ items: [] });
    expect((await kit.call('GET', `/api/v1/webhooks/${made.id}/deliveries`, tokens.operator)).statusCode).toBe(403);

    expect((await kit.call('DELETE', `/api/v1/webhooks/${made.id}`, tokens.admin)).json()).toEqual({ deleted: made.id });
    const gone = await kit.call('GET', `/api/v1/webhooks/${made.id}/deliveries`, tokens.admin);
    expect(gone.statusCode).toBe(404);
    expect(errorOf(gone).code).toBe('PF_ERR_NOT_FOUND');
    expect(errorOf(await kit.call('DELETE', `/api/v1/webhooks/${made.id}`, tokens.admin)).code).toBe('PF_ERR_NOT_FOUND');
    expect((await kit.db.select().from(auditLog).where(eq(auditLog.action, 'webhook.delete'))).map((r) => r.targetId)).toEqual([made.id]);
  });
});
