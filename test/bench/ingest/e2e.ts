/**
 * `pnpm bench:ingest --e2e`: the same reports as core.ts, sent end to end to
 * a real controller process over TLS WebSockets. Agents are enrolled through
 * the API (each its own Ed25519 key), authenticate with the real handshake,
 * and send each report as the real agent does (`chunkReport` with the
 * `maxFrameBytes` and epoch capability of the controller's `welcome`); a
 * report counts once the controller's `ack` for it arrives, which it sends
 * only after the report is committed. Controller CPU is read from /proc for
 * the controller process, so this process's TLS and encoding are not in it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import {
  AGENT_WS_PATH,
  authChallengePayload,
  Capabilities,
  decodeFrame,
  encodeFrame,
  makeFrame,
  nodeEd25519,
  PinnedAgent,
  signCanonical,
  type Body,
  type Message,
  type MessageType,
} from '@patchfleet/shared';
import { chunkReport } from '@patchfleet/agent/src/report/chunk';
import type { OutboxReport } from '@patchfleet/agent/src/link/outbox';
import { startControllerProcess, type ControllerProcess } from '../../support/processes';
import { createEnrollmentToken, enrollAgents, type SimIdentity } from '../fanout/enroll';
import { PinnedClient } from '../fanout/http';
import { cpuSeconds } from '../fanout/stats';
import { loadHostSources } from '../hosts';
import { changedPackages, hostFacts, hostPackages, type IngestOptions, type RoundResult } from './core';
import { BENCH_EDGE_LIMITS, type Bootstrap } from '../fanout/controller-env';

/** One authenticated agent connection that sends reports and waits for their acknowledgement. */
class ReportingAgent {
  private ws: WebSocket | undefined;
  private maxFrameBytes = 0;
  private epoch: string | undefined;
  private waiting: { seq: number; resolve: () => void; reject: (err: Error) => void } | undefined;

  constructor(
    readonly identity: SimIdentity,
    private readonly tls: PinnedAgent,
  ) {}

  connect(url: string, timeoutMs = 60_000): Promise<void> {
    const { agentId, secretKey } = this.identity;
    const ws = new WebSocket(url, { agent: this.tls, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    this.ws = ws;
    return new Promise((resolve, reject) => {
      let welcomed = false;
      const timer = setTimeout(() => fail(new Error(`agent ${agentId}: no welcome within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        if (!welcomed) reject(err);
        this.waiting?.reject(err);
        this.waiting = undefined;
      };
      ws.on('error', (err) => fail(err));
      ws.on('close', (code, reason) => fail(new Error(`agent ${agentId}: socket closed (${code} ${reason.toString()})`)));
      ws.on('open', () => this.send('hello', { agentId, agentVersion: 'bench-ingest', platform: 'linux', capabilities: [Capabilities.InventoryDelta, Capabilities.InventoryChunked] }));
      ws.on('message', (data: Buffer) => {
        let msg: Message;
        try {
          msg = decodeFrame(data);
        } catch (err) {
          return fail(new Error(`agent ${agentId}: bad frame from the controller: ${(err as Error).message}`));
        }
        switch (msg.type) {
          case 'challenge':
            this.send('auth', { agentId, sessionId: msg.sessionId, signature: signCanonical(authChallengePayload(agentId, msg.sessionId, msg.nonce), secretKey, nodeEd25519) });
            return;
          case 'welcome':
            clearTimeout(timer);
            welcomed = true;
            this.maxFrameBytes = msg.maxFrameBytes;
            // As the real agent (link.ts): the epoch rides only when the controller announces it.
            this.epoch = msg.capabilities.includes(Capabilities.InventoryEpoch) ? randomUUID() : undefined;
            resolve();
            return;
          case 'ack':
            if (this.waiting && msg.seq === this.waiting.seq) {
              this.waiting.resolve();
              this.waiting = undefined;
            }
            return;
          case 'error':
            return fail(new Error(`agent ${agentId}: controller error ${msg.code}: ${msg.message}`));
          default:
            return;
        }
      });
    });
  }

  /** The report's frames, encoded as the real agent makes them (before the clock starts). */
  frames(report: OutboxReport): string[] {
    return chunkReport(report, this.maxFrameBytes, this.epoch).map((body) => encodeFrame(makeFrame('inventory', body, Date.now()) as Message));
  }

  /** Sends the frames of report `seq` and resolves on its `ack`. */
  deliver(seq: number, frames: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting = { seq, resolve, reject };
      for (const f of frames) this.ws?.send(f);
    });
  }

  private send<K extends MessageType>(type: K, body: Body<K>): void {
    this.ws?.send(encodeFrame(makeFrame(type, body, Date.now()) as Message));
  }

  close(): void {
    this.ws?.removeAllListeners('close');
    this.ws?.close(1000, 'bench done');
  }
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * Starts a controller on `databaseUrl` (PGlite in a temporary data
 * directory when undefined), enrolls and connects the agents, and runs the
 * two rounds of core.ts through it. `serverCpuMs` as in core.ts.
 */
export async function runIngestE2e(opts: IngestOptions & { databaseUrl?: string | undefined; say: (line: string) => void }): Promise<RoundResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pf-bench-ingest-e2e-'));
  let controller: ControllerProcess | undefined;
  const clients: PinnedClient[] = [];
  const agents: ReportingAgent[] = [];
  try {
    controller = await startControllerProcess({ dataDir, databaseUrl: opts.databaseUrl, env: { PATCHFLEET_LOG_LEVEL: 'warn', ...BENCH_EDGE_LIMITS } });
    const pid = controller.child.pid as number;
    const boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;
    const admin = new PinnedClient(boot.url, boot.caFingerprint, boot.adminToken, 4);
    const enrollClient = new PinnedClient(boot.url, boot.caFingerprint, undefined, 16);
    clients.push(admin, enrollClient);
    opts.say(`enrolling ${opts.agents} agents with controller ${pid}`);
    const token = await createEnrollmentToken(admin, opts.agents);
    const identities = await enrollAgents(enrollClient, { token, count: opts.agents, concurrency: 16, commandKey: boot.commandKey }, () => undefined);
    const tls = new PinnedAgent(boot.caFingerprint, { keepAlive: true });
    const wss = `${boot.url.replace(/^https:/, 'wss:')}${AGENT_WS_PATH}`;
    for (const id of identities) agents.push(new ReportingAgent(id, tls));
    await pool(agents, 16, (a) => a.connect(wss));
    opts.say(`${agents.length} agents authenticated`);
    await new Promise((r) => setTimeout(r, 2_000)); // what each welcome set off, before timing

    const sources = loadHostSources();
    const seed = opts.seed ?? 1;
    const block = opts.block ?? 100;
    const results: RoundResult[] = [];
    for (const [round, seq] of [['first', 1], ['again', 2]] as const) {
      const r: RoundResult = { round, reports: 0, packageRows: 0, added: null, changed: null, removed: null, frames: 0, storeMs: 0, storeCpuMs: 0, serverCpuMs: opts.serverCpuMs ? 0 : null, prepareCpuMs: 0 };
      for (let start = 0; start < agents.length; start += block) {
        const prepCpu = process.cpuUsage();
        const prepared = agents.slice(start, start + block).map((agent, k) => {
          const i = start + k;
          const base = hostPackages(i, opts.packages, seed, sources);
          const packages = seq === 1 ? base : changedPackages(base);
          const report: OutboxReport = { seq, kind: 'full', collectedAt: Date.now(), host: hostFacts(i), packages, removed: [] };
          return { agent, frames: agent.frames(report), packages: packages.length };
        });
        const p = process.cpuUsage(prepCpu);
        r.prepareCpuMs += (p.user + p.system) / 1000;
        const server0 = await opts.serverCpuMs?.();
        const cpu0 = cpuSeconds(pid) as number;
        const t = performance.now();
        await pool(prepared, opts.concurrency, async ({ agent, frames, packages }) => {
          await agent.deliver(seq, frames);
          r.reports += 1;
          r.packageRows += packages;
          r.frames += frames.length;
        });
        r.storeMs += performance.now() - t;
        r.storeCpuMs += ((cpuSeconds(pid) as number) - cpu0) * 1000;
        if (opts.serverCpuMs && r.serverCpuMs !== null) r.serverCpuMs += (await opts.serverCpuMs()) - (server0 as number);
        opts.progress?.(Math.min(agents.length, start + block), agents.length, round);
      }
      results.push(r);
    }
    return results;
  } finally {
    for (const a of agents) a.close();
    for (const c of clients) c.close();
    if (controller && controller.child.exitCode === null) {
      const kill = setTimeout(() => controller?.child.kill('SIGKILL'), 15_000);
      await controller.stop('SIGTERM');
      clearTimeout(kill);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}
