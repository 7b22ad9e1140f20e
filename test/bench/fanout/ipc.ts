/** Messages between the bench and its agent worker processes (Node IPC, JSON). */
import type { SimIdentity } from './enroll';
import type { ConnectStats, FleetTarget, StormResult } from './fleet';
import type { AgentTiming } from './sim-agent';

/** bench -> worker */
export type ToWorker =
  | { type: 'connect'; target: FleetTarget; identities: SimIdentity[]; concurrency: number; oneTry: boolean }
  | { type: 'keepHeld' }
  | { type: 'collect'; timeoutMs: number }
  | { type: 'mark'; url: string }
  | { type: 'storm'; killAt: number; timeoutMs: number }
  | { type: 'close' };

/** worker -> bench */
export type FromWorker =
  | { type: 'connected'; stats: ConnectStats }
  | { type: 'progress'; connected: number }
  | { type: 'held'; agentIds: string[] }
  | { type: 'timings'; timings: AgentTiming[] }
  | { type: 'marked'; count: number }
  | { type: 'stormed'; result: StormResult }
  | { type: 'closed'; peakRssBytes: number | undefined }
  | { type: 'failed'; message: string };
