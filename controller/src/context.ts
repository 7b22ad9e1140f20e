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
  /**
   * Real time for what protects live sockets (handshake and report-assembly
   * timeouts, frame rate limits); absent: `clock`. It differs from `clock`
   * only in simulation mode, where `clock` is a stepped virtual clock and one
   * step of hours must not time out every socket mid-handshake.
   */
  netClock?: Clock;
  log: Logger;
  /** Identifies this process among replicas sharing one database. */
  controllerId: string;
  /** base64 Ed25519 public key agents pin to verify commands. */
  commandPublicKey: string;
}
