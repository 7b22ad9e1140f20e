/**
 * GET /api/v1/events over a real socket: a signed-in browser's stream hears
 * a rollout being paused and a planner round completing one, a caller without credentials is refused, the
 * limits hold, and streams end (timers and bus subscription released) when
 * the client goes away or the app closes.
 */
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '@patchfleet/shared';
import { buildApp } from '../../app';
import type { Bus } from '../../bus/bus';
import { rollouts } from '../../db/schema/index';
import { discardEvents } from '../../events/ports';
import { LiveHub } from '../../live/live-hub';
import { RolloutService } from '../../rollout/rollout-service';
import { openRouteKit, roleTokens, type RouteKit } from './route-kit.test-support';

const T0 = Date.parse('2026-12-01T09:00:00Z');

/** A stream as a client reads it: the response and everything received so far. */
interface Client {
  res: IncomingMessage;
  text: () => string;
  /** Resolves once the received text matches (or fails the test after 5 s). */
  until: (re: RegExp) => Promise<void>;
  ended: Promise<void>;
  close: () => void;
}

/** The bus, counting open subscriptions (a leaked LISTEN shows as a count above zero). */
function countingBus(bus: Bus): Bus & { open: () => number } {
  let open = 0;
  return {
    open: () => open,
    publish: (channel, payload) => bus.publish(channel, payload),
    subscribe: async (channel, onMessage) => {
      const unsubscribe = await bus.subscribe(channel, onMessage);
      open += 1;
      return async () => {
        open -= 1;
        await unsubscribe();
      };
    },
  };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 250 && !check(); i += 1) await new Promise((r) => setTimeout(r, 20));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('GET /api/v1/events (live updates)', () => {
  let kit: RouteKit;
  let app: FastifyInstance;
  let bus: ReturnType<typeof countingBus>;
  let hub: LiveHub;
  let service: RolloutService;
  let base: string;
  let tokens: Awaited<ReturnType<typeof roleTokens>>;
  let cookie: string;
  const clock = new ManualClock(T0);

  function connect(headers: Record<string, string>): Promise<Client> {
    return new Promise((resolve, reject) => {
      const req = request(`${base}/api/v1/events`, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        const ended = new Promise<void>((done) => res.once('close', () => done()));
        resolve({
          res,
          text: () => text,
          until: (re) => waitFor(() => re.test(text), `${String(re)} in ${JSON.stringify(text)}`),
          ended,
          close: () => req.destroy(),
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  beforeAll(async () => {
    kit = await openRouteKit(clock);
    tokens = await roleTokens(kit.db, new Date(T0));
    bus = countingBus(kit.ctx.bus);
    const ctx = { ...kit.ctx, bus };
    // Small limits and a fast heartbeat so the test sees both.
    hub = new LiveHub(bus, { perPerson: 2, perAddress: 3, total: 10 }, 50);
    const commands = { create: async () => [], announce: async () => undefined };
    service = new RolloutService(ctx, commands, { clock, speed: 1 }, discardEvents);
    app = await buildApp(ctx, { tls: undefined, rollouts: service, live: hub });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    const made = await kit.call('POST', '/api/v1/users', tokens.admin, { name: 'hedda', role: 'helpdesk', password: 'help desk password 1' });
    expect(made.statusCode, made.body).toBe(201);
    const signIn = await app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { name: 'hedda', password: 'help desk password 1' } });
    expect(signIn.statusCode, signIn.body).toBe(200);
    cookie = `pf_session=${signIn.cookies.find((c) => c.name === 'pf_session')?.value ?? ''}`;

    const at = new Date(T0);
    await kit.db.insert(rollouts).values({ id: 'ro_live1', name: 'live test', content: { patches: [], packages: [] }, state: 'active', releasedAt: at, createdBy: 'test', createdAt: at, updatedAt: at });
  });

  afterAll(async () => {
    await service.stop();
    await app.close();
    await kit.close();
  });

  it('refuses a caller without credentials, in the JSON error envelope', async () => {
    const c = await connect({});
    expect(c.res.statusCode).toBe(401);
    expect(c.res.headers['content-type']).toContain('application/json');
    await c.ended;
    expect(JSON.parse(c.text())).toMatchObject({ error: { code: 'PF_ERR_UNAUTHORIZED' } });
    expect(hub.size).toBe(0);
  });

  it('tells a signed-in browser that a rollout was paused, with heartbeats in between', async () => {
    const c = await connect({ cookie });
    expect(c.res.statusCode).toBe(200);
    expect(c.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await c.until(/: connected\n\n/);
    await c.until(/: heartbeat\n\n/);
    const paused = await app.inject({ method: 'POST', url: '/api/v1/rollouts/ro_live1/pause', headers: { authorization: `Bearer ${tokens.operator}` }, payload: { reason: 'looking' } });
    expect(paused.statusCode, paused.body).toBe(200);
    await c.until(/event: rollout\ndata: \{"id":"ro_live1"\}\n\n/);
    // Hints only: the stream never carries the rollout itself.
    expect(c.text()).not.toContain('looking');
    c.close();
    await waitFor(() => hub.size === 0, 'the stream to be dropped');
  });

  it('tells a signed-in browser that a planner round changed a rollout, and only that one', async () => {
    const c = await connect({ cookie });
    await c.until(/: connected\n\n/);
    // An active rollout with nothing left to do: the next round completes it.
    const at = new Date(T0);
    await kit.db.insert(rollouts).values({ id: 'ro_live2', name: 'live test 2', content: { patches: [], packages: [] }, state: 'active', releasedAt: at, createdBy: 'test', createdAt: at, updatedAt: at });
    expect(await service.round()).toBe(true);
    await c.until(/event: rollout\ndata: \{"id":"ro_live2"\}\n\n/);
    // ro_live1 (paused, nothing moved) is not announced.
    expect(c.text()).not.toContain('ro_live1');
    c.close();
    await waitFor(() => hub.size === 0, 'the stream to be dropped');
  });

  it('bounds the streams per person, and frees the slot when one closes', async () => {
    const a = await connect({ authorization: `Bearer ${tokens.helpdesk}` });
    const b = await connect({ authorization: `Bearer ${tokens.helpdesk}` });
    expect([a.res.statusCode, b.res.statusCode]).toEqual([200, 200]);
    const third = await connect({ authorization: `Bearer ${tokens.helpdesk}` });
    expect(third.res.statusCode).toBe(429);
    await third.ended;
    expect(JSON.parse(third.text())).toMatchObject({ error: { code: 'PF_ERR_RATE_LIMITED' } });
    a.close();
    await waitFor(() => hub.size === 1, 'the closed stream to be dropped');
    const again = await connect({ authorization: `Bearer ${tokens.helpdesk}` });
    expect(again.res.statusCode).toBe(200);
    b.close();
    again.close();
    await waitFor(() => hub.size === 0, 'both streams to be dropped');
  });

  it('ends open streams when the app closes, leaving no subscription or timer behind', async () => {
    const c = await connect({ cookie });
    await c.until(/: connected/);
    expect(bus.open()).toBe(1);
    await service.stop();
    // app.close() would hang on an open stream; it must end it.
    await app.close();
    await c.ended;
    expect(hub.size).toBe(0);
    expect(bus.open()).toBe(0);
    const text = c.text();
    await new Promise((r) => setTimeout(r, 150));
    expect(c.text()).toBe(text); // no heartbeat after the end
  });
});
