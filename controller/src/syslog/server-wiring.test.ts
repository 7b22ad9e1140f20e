/**
 * A real controller (startController, PGlite or PostgreSQL with DATABASE_URL)
 * configured with PATCHFLEET_SYSLOG_URL exports its audit log to a real TCP
 * listener, and a webhook created through its API gets an event the
 * planner's port recorded; both stop cleanly with the controller.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl, seedPgliteDataDir } from '@patchfleet/test/support/db';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { startController, type RunningController } from '../server';
import { startReceiver, type Receiver } from '../webhooks/receiver.test-support';
import { verifySignature } from '../webhooks/signature';
import { startSyslogListener, type SyslogListener } from './listener.test-support';

let dataDir: string;
let drop: () => Promise<void>;
let ctl: RunningController;
let syslog: SyslogListener;
let receiver: Receiver;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pf-syslog-server-'));
  syslog = await startSyslogListener();
  receiver = await startReceiver();
  const pg = await createTestDatabaseUrl();
  drop = pg.drop;
  if (!pg.url) await seedPgliteDataDir(dataDir);
  const env = { PATCHFLEET_SYSLOG_URL: `tcp://127.0.0.1:${syslog.port}`, PATCHFLEET_SYSLOG_FACILITY: 'audit', PATCHFLEET_SYSLOG_HOSTNAME: 'ctl-under-test' };
  ctl = await startController(loadConfig({ dataDir, port: 0, host: '127.0.0.1', insecure: true, ...(pg.url ? { databaseUrl: pg.url } : {}) }, env), { log: createLogger({ level: 'silent' }) });
}, 120_000);

afterAll(async () => {
  await ctl?.close();
  await syslog?.close();
  await receiver?.close();
  await drop?.();
  rmSync(dataDir, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1500 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('a controller with syslog and webhooks', () => {
  it('exports its audit log to the configured receiver: the bootstrap admin token, then a webhook created over the API', async () => {
    await until(() => syslog.messages.some((m) => / api-token\.create \[/.test(m)), 'the bootstrap audit entry');
    const res = await fetch(`${ctl.url}/api/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctl.bootstrap.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url }),
    });
    expect(res.status).toBe(201);
    const made = (await res.json()) as { id: string; secret: string };
    await until(() => syslog.messages.some((m) => m.includes(' webhook.create [') && m.includes(`targetId="${made.id}"`)), 'the webhook.create entry');
    const entry = syslog.messages.find((m) => m.includes(' webhook.create ['))!;
    // facility audit (13) * 8 + notice (5) = 109; hostname as configured; procid the controller id.
    expect(entry.startsWith(`<109>1 `)).toBe(true);
    expect(entry).toContain(` ctl-under-test patchfleet ${ctl.ctx.controllerId} webhook.create [patchfleet@32473 auditId="`);
    expect(entry).not.toContain(made.secret);
    expect(syslog.errors).toEqual([]);

    // An event recorded through the controller's outbox reaches the receiver, signed.
    await ctl.database.db.transaction((tx) => ctl.events.emit(tx, { type: 'approval.needed', data: { rolloutId: 'ro_x', rolloutName: 'x', ring: 'Broad', approvals: 0, needed: 2 } }));
    await until(() => receiver.received.length === 1, 'the webhook delivery');
    const got = receiver.received[0]!;
    expect(verifySignature(made.secret, String(got.headers['x-patchfleet-signature']), got.body, Math.floor(Date.now() / 1000))).toBe(true);
  });
});
