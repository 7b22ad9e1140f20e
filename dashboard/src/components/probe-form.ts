/**
 * The settings page's probe form and the probes API: text fields in, a
 * create body (or a change) out, with only the fields the probe's kind uses
 * (http: url and expected status; tcp: host and port; command: argv and exit
 * code). The API validates the bounds; this only shapes and reports what
 * cannot be sent at all.
 */
import type { Probe, ProbeChange, ProbeInput } from '../api/types';

export type ProbeKind = ProbeInput['kind'];
export const PROBE_KINDS: readonly ProbeKind[] = ['http', 'tcp', 'command'];

export interface ProbeForm {
  name: string;
  kind: ProbeKind;
  timeoutMs: string;
  url: string;
  expectStatus: string;
  host: string;
  port: string;
  /** One argument a line (no shell). */
  argv: string;
  expectExit: string;
  enabled: boolean;
}

export const BLANK_PROBE: ProbeForm = { name: '', kind: 'http', timeoutMs: '5000', url: '', expectStatus: '200', host: '', port: '', argv: '', expectExit: '0', enabled: true };

const kindOf = (kind: string): ProbeKind => PROBE_KINDS.find((k) => k === kind) ?? 'http';

/** A stored probe as the form shows it for editing. */
export function formOf(p: Probe): ProbeForm {
  return {
    name: p.name,
    kind: kindOf(p.kind),
    timeoutMs: String(p.timeoutMs),
    url: p.url ?? '',
    expectStatus: p.expectStatus === undefined ? '' : String(p.expectStatus),
    host: p.host ?? '',
    port: p.port === undefined ? '' : String(p.port),
    argv: (p.argv ?? []).join('\n'),
    expectExit: p.expectExit === undefined ? '' : String(p.expectExit),
    enabled: p.enabled,
  };
}

/** A whole number from a text field; undefined when blank; a message when not a whole number. */
function whole(label: string, text: string): number | undefined | string {
  const t = text.trim();
  if (!t) return undefined;
  return /^\d+$/.test(t) ? Number(t) : `${label} must be a whole number`;
}

/** The create body for the form, or a message saying what is missing or malformed. */
export function probeBody(f: ProbeForm): ProbeInput | string {
  const name = f.name.trim();
  if (!name) return 'give the probe a name';
  const timeoutMs = whole('Timeout', f.timeoutMs);
  if (typeof timeoutMs === 'string') return timeoutMs;
  const body: ProbeInput = { name, kind: f.kind, enabled: f.enabled, ...(timeoutMs === undefined ? {} : { timeoutMs }) };
  if (f.kind === 'http') {
    if (!f.url.trim()) return 'an http probe needs a URL';
    const expectStatus = whole('Expected status', f.expectStatus);
    if (typeof expectStatus === 'string') return expectStatus;
    return { ...body, url: f.url.trim(), ...(expectStatus === undefined ? {} : { expectStatus }) };
  }
  if (f.kind === 'tcp') {
    const port = whole('Port', f.port);
    if (typeof port === 'string') return port;
    if (!f.host.trim() || port === undefined) return 'a tcp probe needs a host and a port';
    return { ...body, host: f.host.trim(), port };
  }
  const argv = f.argv.split('\n').map((a) => a.trim()).filter(Boolean);
  if (argv.length === 0) return 'a command probe needs a command (one argument a line)';
  const expectExit = whole('Expected exit code', f.expectExit);
  if (typeof expectExit === 'string') return expectExit;
  return { ...body, argv, ...(expectExit === undefined ? {} : { expectExit }) };
}

/** The change for an edited probe: the create body without its kind (a probe keeps its kind). */
export function probeChange(f: ProbeForm): ProbeChange | string {
  const body = probeBody(f);
  if (typeof body === 'string') return body;
  const { kind: _kind, ...change } = body;
  return change;
}

/** What a probe checks, in words: `GET https://… expects 200`, `tcp db1:5432`, `runs systemctl is-active nginx`. */
export function probeTarget(p: Pick<Probe, 'kind' | 'url' | 'expectStatus' | 'host' | 'port' | 'argv' | 'expectExit'>): string {
  if (p.kind === 'http') return `GET ${p.url ?? '?'} expects ${p.expectStatus ?? 200}`;
  if (p.kind === 'tcp') return `connect ${p.host ?? '?'}:${p.port ?? '?'}`;
  return `runs ${(p.argv ?? []).join(' ')} expects exit ${p.expectExit ?? 0}`;
}
