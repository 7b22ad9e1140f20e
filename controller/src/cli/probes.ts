/** `patchfleet probes list|add|remove`: health probes through the API. */
import type { Command } from 'commander';
import type { BodyOf, ResponseOf } from '@patchfleet/shared/api';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { parseDurationSec } from '../time/duration';
import { connection, parseLabels, type ConnOpts } from './enroll-token';
import { oneOf } from './flags';
import { action, printJson, printTable } from './output';

/** A probe as the API answers it. */
type ProbeView = ResponseOf<'/api/v1/probes/{id}', 'delete'>;
/** The body of POST /api/v1/probes. */
type NewProbe = BodyOf<'/api/v1/probes', 'post'>;

export interface ProbeFlags {
  kind: string;
  url?: string;
  expectStatus?: string;
  maxLatency?: string;
  bodyMatch?: string;
  host?: string;
  port?: string;
  expectExit?: string;
  timeout?: string;
  labels?: string;
  ring?: string;
  disabled?: boolean;
}

function int(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new PfError(Errors.VALIDATION, `${flag} must be a whole number, got "${text}"`);
  return n;
}

/** Milliseconds from "500ms", "5s", "2m" or a bare number of milliseconds. */
export function parseMs(flag: string, text: string): number {
  const ms = /^\s*(\d+)\s*ms\s*$/i.exec(text);
  if (ms?.[1]) return Number(ms[1]);
  if (/^\s*\d+\s*$/.test(text)) return Number(text);
  try {
    return parseDurationSec(text) * 1000;
  } catch {
    throw new PfError(Errors.VALIDATION, `${flag} must be a duration such as 500ms, 5s or 1m, got "${text.slice(0, 40)}"`);
  }
}

/** The API body for `probes add NAME [ARGV...]` (the server checks what each kind needs). */
export function probeInputFromFlags(name: string, argv: string[], f: ProbeFlags): NewProbe {
  const body: NewProbe = { name, kind: oneOf('--kind', f.kind, ['http', 'tcp', 'command']) };
  if (f.url !== undefined) body.url = f.url;
  if (f.expectStatus !== undefined) body.expectStatus = int('--expect-status', f.expectStatus);
  if (f.maxLatency !== undefined) body.maxLatencyMs = parseMs('--max-latency', f.maxLatency);
  if (f.bodyMatch !== undefined) body.bodyMatch = f.bodyMatch;
  if (f.host !== undefined) body.host = f.host;
  if (f.port !== undefined) body.port = int('--port', f.port);
  if (f.expectExit !== undefined) body.expectExit = int('--expect-exit', f.expectExit);
  if (argv.length > 0) body.argv = argv;
  if (f.timeout !== undefined) body.timeoutMs = parseMs('--timeout', f.timeout);
  if (f.labels !== undefined || f.ring !== undefined) body.scope = { ...(f.labels ? { labels: parseLabels(f.labels) } : {}), ...(f.ring ? { ringId: f.ring } : {}) };
  if (f.disabled) body.enabled = false;
  return body;
}

/** What a probe checks, in one line. */
export function probeTarget(p: ProbeView): string {
  if (p.kind === 'http') return [`GET ${p.url}`, p.expectStatus ? `status ${p.expectStatus}` : '', p.maxLatencyMs ? `<= ${p.maxLatencyMs} ms` : '', p.bodyMatch ? `body /${p.bodyMatch}/` : ''].filter(Boolean).join(', ');
  if (p.kind === 'tcp') return `connect ${p.host}:${p.port}`;
  return `${(p.argv ?? []).join(' ')}${p.expectExit ? ` (exit ${p.expectExit})` : ''}`;
}

export function scopeText(p: ProbeView): string {
  const parts = Object.entries(p.scope.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  if (p.scope.ringId) parts.push(`ring ${p.scope.ringId}`);
  return parts.join(', ') || 'all hosts';
}

export function registerProbes(program: Command): void {
  const group = program.command('probes').description('health probes (HTTP, TCP, command) pushed to agents');

  connection(group.command('list').description('list probes')).action(
    action(async (opts: ConnOpts) => {
      const client = new ApiClient(resolveClientOptions(opts));
      const { items } = await client.api.call('get', '/api/v1/probes');
      if (opts.json) return printJson(items);
      printTable(
        ['ID', 'NAME', 'KIND', 'CHECKS', 'TIMEOUT', 'SCOPE', 'ENABLED'],
        items.map((p) => [p.id, p.name, p.kind, probeTarget(p), `${p.timeoutMs} ms`, scopeText(p), p.enabled ? 'yes' : 'no']),
      );
    }),
  );

  connection(
    group
      .command('add')
      .description('add a probe; a command probe takes its argv after --, e.g. probes add dns --kind command -- getent hosts example.org')
      .argument('<name>', 'probe name')
      .argument('[argv...]', 'command and arguments (kind command; no shell)'),
  )
    .requiredOption('--kind <kind>', 'http | tcp | command')
    .option('--url <url>', 'http: URL to GET')
    .option('--expect-status <code>', 'http: expected status (default 200)')
    .option('--max-latency <duration>', 'http: slowest acceptable answer (e.g. 800ms)')
    .option('--body-match <regex>', 'http: the body must match')
    .option('--host <host>', 'tcp: host to connect to')
    .option('--port <port>', 'tcp: port')
    .option('--expect-exit <code>', 'command: expected exit code (default 0)')
    .option('--timeout <duration>', 'time limit (e.g. 5s; default 5s)')
    .option('--labels <k=v,...>', 'run only on hosts with all these labels')
    .option('--ring <ring>', 'run only on hosts of this ring (id or name)')
    .option('--disabled', 'add it switched off')
    .action(
      action(async (name: string, argv: string[], opts: ConnOpts & ProbeFlags) => {
        const client = new ApiClient(resolveClientOptions(opts));
        const made = await client.api.call('post', '/api/v1/probes', { body: probeInputFromFlags(name, argv, opts) });
        if (opts.json) printJson(made);
        else process.stdout.write(`added probe ${made.name} (${made.id}): ${probeTarget(made)}; ${scopeText(made)}\n`);
      }),
    );

  connection(group.command('remove').description('delete a probe').argument('<probe>', 'probe id or name')).action(
    action(async (probe: string, opts: ConnOpts) => {
      const client = new ApiClient(resolveClientOptions(opts));
      const gone = await client.api.call('delete', '/api/v1/probes/{id}', { params: { id: probe } });
      if (opts.json) printJson(gone);
      else process.stdout.write(`removed probe ${gone.name} (${gone.id})\n`);
    }),
  );
}
