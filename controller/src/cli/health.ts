/** `patchfleet health config` and `patchfleet hosts health HOST`: health settings and one host's health through the API. */
import type { Command } from 'commander';
import type { BodyOf, ResponseOf } from '@patchfleet/shared/api';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { parseDurationSec } from '../time/duration';
import { connection, type ConnOpts } from './enroll-token';
import { action, printJson, printTable } from './output';
import { resolveHostArg } from './host-arg';

/** What GET /api/v1/hosts/:id/health answers. */
type HostHealth = ResponseOf<'/api/v1/hosts/{id}/health', 'get'>;
/** The body of PUT /api/v1/settings/health: the settings to change. */
type HealthSettingsChange = BodyOf<'/api/v1/settings/health', 'put'>;

/** "5m" for 300, "1h30m" stays "5400s": the shortest exact unit. */
export function formatDuration(sec: number): string {
  for (const [unit, n] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) if (sec % n === 0 && sec >= n) return `${sec / n}${unit}`;
  return `${sec}s`;
}

/** The body of PUT /api/v1/settings/health from the flags; PF_ERR_VALIDATION when nothing or nonsense is given. */
export function settingsFromFlags(f: { interval?: string; retentionDays?: string }): HealthSettingsChange {
  const out: HealthSettingsChange = {};
  if (f.interval !== undefined) out.intervalSec = parseDurationSec(f.interval);
  if (f.retentionDays !== undefined) {
    const n = Number(f.retentionDays);
    if (!Number.isInteger(n) || n < 1) throw new PfError(Errors.VALIDATION, `--retention-days must be a positive whole number, got "${f.retentionDays}"`);
    out.retentionDays = n;
  }
  return out;
}

const cell = (n: number | null) => (n === null ? '-' : String(n));
const hhmm = (iso: string) => iso.slice(0, 16).replace('T', ' ');

/** The readable form of a host's health (what `hosts health HOST` prints). */
export function formatHostHealth(v: HostHealth): string {
  const lines: string[] = [];
  lines.push(`host:        ${v.host.hostname} (${v.host.id})`);
  lines.push(`boot id:     ${v.host.bootId ?? 'unknown'}${v.host.bootSeenAt ? ` (seen ${v.host.bootSeenAt})` : ''}`);
  lines.push(`range:       ${v.from} .. ${v.to} (${v.resolution}${v.truncated ? ', newest points only' : ''})`);
  const t = v.totals;
  lines.push(`totals:      ${t.samples} samples over ${formatDuration(t.coveredSec)}; crashes ${t.appCrashes} app, ${t.kernelCrashes} kernel; ${t.serviceFailures} service failures; ${t.unexpectedShutdowns} unexpected shutdowns; probes ${t.probeFailures} failed of ${t.probeRuns} run`);
  lines.push(`boot ids:    ${v.bootIds.join(', ') || '-'}`);
  lines.push(`unavailable: ${v.unavailable.join(', ') || 'none'}`);
  return lines.join('\n');
}

function printHostHealth(v: HostHealth): void {
  process.stdout.write(`${formatHostHealth(v)}\n\n`);
  if (v.series.length === 0) {
    process.stdout.write('no samples in this range\n');
  } else {
    printTable(
      ['INTERVAL', 'LENGTH', 'APP CRASH', 'KERNEL', 'SERVICES', 'SHUTDOWNS', 'PROBES FAILED/RUN', 'BOOT ID', 'UNAVAILABLE'],
      v.series.map((p) => [
        hhmm(p.start),
        formatDuration(p.coveredSec),
        cell(p.appCrashes),
        cell(p.kernelCrashes),
        cell(p.serviceFailures),
        cell(p.unexpectedShutdowns),
        `${cell(p.probeFailures)}/${cell(p.probeRuns)}`,
        p.bootIds.map((b) => b.slice(0, 8)).join(',') || '-',
        (p.unavailable ?? []).join(',') || '-',
      ]),
    );
  }
  if (v.events.length > 0) {
    process.stdout.write('\n');
    printTable(['AT', 'EVENT', 'SUBJECT', 'MESSAGE'], v.events.map((e) => [e.at.slice(0, 19).replace('T', ' '), e.kind, e.subject, (e.message ?? '').slice(0, 80)]));
  }
}

export function registerHealth(program: Command): void {
  const group = program.command('health').description('health sampling settings');
  connection(group.command('config').description('show the health settings; with flags, change them (admin)'))
    .option('--interval <duration>', 'time between samples (e.g. 5m)')
    .option('--retention-days <n>', 'days raw samples are kept (hourly roll-ups at least 90)')
    .action(
      action(async (opts: ConnOpts & { interval?: string; retentionDays?: string }) => {
        const client = new ApiClient(resolveClientOptions(opts));
        const change = settingsFromFlags(opts);
        const settings = Object.keys(change).length > 0 ? await client.api.call('put', '/api/v1/settings/health', { body: change }) : await client.api.call('get', '/api/v1/settings/health');
        if (opts.json) return printJson(settings);
        process.stdout.write(`interval:       ${formatDuration(settings.intervalSec)}\nretention days: ${settings.retentionDays}\n`);
      }),
    );
}

/** `hosts health HOST`, registered under the `hosts` group. */
export function registerHostHealth(hosts: Command): void {
  connection(hosts.command('health').description("a host's health samples, events, boot ids and unavailable sources").argument('<host>', 'host id, hostname, FQDN, address, serial or unique id prefix'))
    .option('--since <duration>', 'how far back (e.g. 6h, 7d)', '24h')
    .option('--hourly', 'hourly roll-ups instead of raw samples')
    .action(
      action(async (host: string, opts: ConnOpts & { since: string; hourly?: boolean }) => {
        const client = new ApiClient(resolveClientOptions(opts));
        const { id } = await resolveHostArg(client, host);
        const from = new Date(Date.now() - parseDurationSec(opts.since) * 1000).toISOString();
        const view = await client.api.call('get', '/api/v1/hosts/{id}/health', { params: { id }, query: { from, resolution: opts.hourly ? 'hour' : 'raw' } });
        if (opts.json) return printJson(view);
        printHostHealth(view);
      }),
    );
}
