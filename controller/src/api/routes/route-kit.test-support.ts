/**
 * What the REST route tests share: a real database (PGlite, or PostgreSQL
 * under DATABASE_URL), a controller context on a given clock, the built app,
 * and helpers to call it and read the error envelope.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { nodeEd25519, type Clock } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { buildApp } from '../../app';
import { loadConfig, type Config } from '../../config';
import type { ControllerContext } from '../../context';
import type { Db } from '../../db/index';
import { createApiToken } from '../../keys/api-tokens';
import { createLogger } from '../../logger';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RouteKit {
  tdb: TestDatabase;
  db: Db;
  ctx: ControllerContext;
  app: FastifyInstance;
  /** Calls the app in process; no token: no Authorization header. */
  call(method: Method, url: string, token: string | undefined, body?: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** The error envelope of a refused request. */
export const errorOf = (res: LightMyRequestResponse): { code: string; message: string } => (res.json() as { error: { code: string; message: string } }).error;

/** Opens a database and builds the app on `clock` (silent logs, a fresh command key); `settings` are config flags beyond the data directory. */
export async function openRouteKit(clock: Clock, settings: Partial<Record<keyof Config, unknown>> = {}): Promise<RouteKit> {
  const tdb = await openTestDatabase();
  const db = tdb.database.db;
  const ctx: ControllerContext = {
    config: loadConfig({ ...settings, dataDir: tdb.dataDir }, {}),
    db,
    dbKind: tdb.database.kind,
    bus: tdb.database.bus,
    clock,
    log: createLogger({ level: 'silent' }),
    controllerId: 'ctl_test',
    commandPublicKey: nodeEd25519.generateKeyPair().publicKey,
  };
  const app = await buildApp(ctx, { tls: undefined });
  await app.ready();
  return {
    tdb,
    db,
    ctx,
    app,
    call: (method, url, token, body) =>
      app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}) }),
    close: async () => {
      await app.close();
      await tdb.cleanup();
    },
  };
}

/** One API token per role, each of its own person (named after the role). */
export async function roleTokens(db: Db, now: Date): Promise<{ admin: string; operator: string; helpdesk: string }> {
  return {
    admin: (await createApiToken(db, 'admin', 'admin', now)).token,
    operator: (await createApiToken(db, 'operator', 'operator', now)).token,
    helpdesk: (await createApiToken(db, 'helpdesk', 'helpdesk', now)).token,
  };
}
