/**
 * Messages between the rollout runner (bench-rollout.ts) and its host
 * worker processes (worker.ts), over Node IPC (advanced serialization).
 * The runner drives every step; a worker only answers, except `received`,
 * which it pushes whenever command frames arrive (the runner compares the
 * total with the controller's `commandsSent`).
 */
import type { CatalogSetup } from '../catalog-setup';
import type { Scenario } from '../scenario';
import type { HostRecord, HostTarget, SimIdentity, StepCounts } from './sim-host';

/** What every worker is told once. */
export interface WorkerInit {
  scenario: Scenario;
  setup: CatalogSetup;
  /** The hosts this worker plays, by fleet index. */
  identities: SimIdentity[];
  target: HostTarget;
  /** Virtual start of the run (ms since the epoch): hour 0. */
  startMs: number;
  /** Handshakes in flight at once in this worker. */
  concurrency: number;
  /** Real-time bound on any one wait for the controller (ms). */
  waitMs: number;
}

/** runner -> worker */
export type ToWorker =
  | { type: 'init'; init: WorkerInit }
  /** Connects every host and sends its first full inventory (virtual hour `t`). */
  | { type: 'connect'; t: number }
  /** Hour boundary `t`: hosts go offline or come back, then send the health samples of [prev, t) and a heartbeat. */
  | { type: 'boundary'; t: number; prev: number | null }
  /** Runs the commands received and not yet run, at hour `t`, and waits for the controller's answers. */
  | { type: 'execute'; t: number }
  /** What each host went through (end of the run, hour `t`). */
  | { type: 'finish'; t: number }
  | { type: 'close' };

/** worker -> runner */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'connected'; counts: StepCounts }
  | { type: 'boundaryDone'; counts: StepCounts }
  | { type: 'executed'; counts: StepCounts }
  | { type: 'finished'; records: HostRecord[] }
  | { type: 'closed' }
  /** Command frames this worker's hosts received since it started (pushed as they arrive). */
  | { type: 'received'; total: number }
  | { type: 'failed'; message: string };
