/**
 * Probes: the checks the controller configures for this host (healthConfig),
 * run once per sample interval. HTTP: GET, expected status, latency limit,
 * body match (first 64 KiB). TCP: connect. Command: argv without a shell,
 * expected exit code. Every probe has its own timeout; a failure is counted
 * and listed as an event saying why.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Clock, HealthEvent, ProbeConfig } from '@patchfleet/shared';
import { clip } from '../collect/clip';
import { runCommand } from '../collect/run-command';

/** How much of an HTTP body is read for the match. */
export const PROBE_BODY_BYTES = 64 * 1024;
/** How much a command probe may print before it counts as failed. */
const PROBE_OUTPUT_BYTES = 1024 * 1024;

export interface ProbeRunResult {
  probeRuns: number;
  probeFailures: number;
  /** One per failure, in probe order. */
  events: HealthEvent[];
}

/** Runs every probe (concurrently) and counts. No probes: 0 runs, 0 failures. */
export async function runProbes(probes: readonly ProbeConfig[], clock: Clock): Promise<ProbeRunResult> {
  const outcomes = await Promise.all(
    probes.map(async (p): Promise<HealthEvent | undefined> => {
      const started = clock.now();
      let why: string | undefined;
      try {
        why = await runProbe(p, clock);
      } catch (err) {
        why = (err as Error).message;
      }
      return why === undefined ? undefined : { kind: 'probe-failure', at: started, subject: clip(p.name, 256), message: clip(why, 512) };
    }),
  );
  const events = outcomes.filter((e): e is HealthEvent => e !== undefined);
  return { probeRuns: probes.length, probeFailures: events.length, events };
}

/** Runs one probe; resolves with why it failed, or undefined when it passed. */
export function runProbe(p: ProbeConfig, clock: Clock): Promise<string | undefined> {
  switch (p.kind) {
    case 'http':
      return httpProbe(p, clock);
    case 'tcp':
      return tcpProbe(p, clock);
    case 'command':
      return commandProbe(p);
  }
}

function httpProbe(p: ProbeConfig, clock: Clock): Promise<string | undefined> {
  if (!p.url) return Promise.resolve('http probe without url');
  let pattern: RegExp | undefined;
  try {
    pattern = p.bodyMatch !== undefined ? new RegExp(p.bodyMatch) : undefined;
  } catch (err) {
    return Promise.resolve(`bodyMatch is not a valid regular expression: ${(err as Error).message}`);
  }
  const url = p.url;
  const expectStatus = p.expectStatus ?? 200;
  const started = clock.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (why: string | undefined) => {
      if (done) return;
      done = true;
      timer.cancel();
      req.destroy();
      resolve(why);
    };
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(url, { method: 'GET', headers: { 'user-agent': 'patchfleet-agent probe', accept: '*/*' } }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const judge = () => {
        const latency = clock.now() - started;
        if (res.statusCode !== expectStatus) return finish(`GET ${url}: status ${res.statusCode ?? '?'}, expected ${expectStatus}`);
        if (p.maxLatencyMs !== undefined && latency > p.maxLatencyMs) return finish(`GET ${url}: took ${latency} ms, limit ${p.maxLatencyMs} ms`);
        if (pattern && !pattern.test(Buffer.concat(chunks).toString('utf8'))) return finish(`GET ${url}: body does not match /${p.bodyMatch ?? ''}/`);
        finish(undefined);
      };
      res.on('data', (chunk: Buffer) => {
        if (size >= PROBE_BODY_BYTES) return;
        const part = chunk.subarray(0, PROBE_BODY_BYTES - size);
        chunks.push(part);
        size += part.length;
        if (size >= PROBE_BODY_BYTES) judge(); // enough read: the rest of a large body is not waited for
      });
      res.on('end', judge);
      res.on('error', (err) => finish(`GET ${url}: ${err.message}`));
    });
    const timer = clock.after(p.timeoutMs, () => finish(`GET ${url}: no answer within ${p.timeoutMs} ms`));
    req.on('error', (err) => finish(`GET ${url}: ${err.message}`));
    req.end();
  });
}

function tcpProbe(p: ProbeConfig, clock: Clock): Promise<string | undefined> {
  if (!p.host || p.port === undefined) return Promise.resolve('tcp probe without host and port');
  const where = `${p.host}:${p.port}`;
  return new Promise((resolve) => {
    let done = false;
    const finish = (why: string | undefined) => {
      if (done) return;
      done = true;
      timer.cancel();
      socket.destroy();
      resolve(why);
    };
    const socket = connect({ host: p.host as string, port: p.port as number });
    const timer = clock.after(p.timeoutMs, () => finish(`connect ${where}: no connection within ${p.timeoutMs} ms`));
    socket.once('connect', () => finish(undefined));
    socket.once('error', (err) => finish(`connect ${where}: ${err.message}`));
  });
}

async function commandProbe(p: ProbeConfig): Promise<string | undefined> {
  const [file, ...args] = p.argv ?? [];
  if (!file) return 'command probe without argv';
  const expectExit = p.expectExit ?? 0;
  // runCommand: no shell, killed (SIGKILL) at the timeout, output bounded.
  const res = await runCommand(file, args, { timeoutMs: p.timeoutMs, maxBuffer: PROBE_OUTPUT_BYTES });
  if (res.code === expectExit) return undefined;
  const said = (res.stderr.trim() || res.stdout.trim()).split('\n').slice(-1)[0] ?? '';
  return `${file}: exit ${res.code ?? 'by signal'}, expected ${expectExit}${said ? `: ${said}` : ''}`;
}
