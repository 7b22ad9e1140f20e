import type { Clock } from '@patchfleet/shared';
import type { Config } from './config';
import type { Bus } from './bus/bus';
import type { Db } from './db/index';
import type { Logger } from './logger';

/** What every area of the controller is built from; passed explicitly, never reached for globally. */
export interface ControllerContext {
  config: Config;
  db: Db;
  dbKind: 'pglite' | 'postgres';
  /** Wake-ups across replicas (LISTEN/NOTIFY on PostgreSQL). */
  bus: Bus;
  clock: Clock;
  log: Logger;
  /** Identifies this process among replicas sharing one database. */
  controllerId: string;
  /** base64 Ed25519 public key agents pin to verify commands. */
  commandPublicKey: string;
}
