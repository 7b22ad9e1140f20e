import { Errors, PfError } from '@patchfleet/shared/errors';
import { MAX_HEALTH_EVENTS_PER_SAMPLE, type HealthEvent } from '@patchfleet/shared/protocol';
import { isJsonObject, jsonKind, parsePsJson, psArray, psBool, psInt, psInstant, psProp, psString } from '@patchfleet/shared/windows';
import type { CollectedHealth, HealthWindow } from '../../health/types';
import { HEALTH_LOOKBACK_MS, HEALTH_SCRIPT_SCHEMA } from './health-script';

/** One event as the health script wrote it. */
export interface RawHealthEvent {
  provider: string;
  id: number;
  /** TimeCreated, ms since epoch (UTC). */
  at: number;
  /** Insertion strings, Properties[i].Value as invariant text. */
  data: string[];
  /** Binary data as hex (Service Control Manager events only). */
  binary: string | null;
  /** The localized message, for display only. */
  message: string | null;
}

/** One log as read: its events, or why it could not be read. */
export type HealthLogRead =
  | { log: string; ok: true; truncated: boolean; readErrors: number; events: RawHealthEvent[] }
  | { log: string; ok: false; errorId: string; error: string };

export interface HealthScriptOutput {
  psVersion: string | null;
  logs: HealthLogRead[];
}

/** The health script's output from its JSON (text or bytes); see parseHealthOutput. */
export function parseHealthJson(input: string | Uint8Array): HealthScriptOutput {
  return parseHealthOutput(parsePsJson(input, 'health JSON'));
}

/**
 * The health script's output from parsed JSON, from Windows PowerShell 5.1 or
 * PowerShell 7: a list may come as one bare object or as 5.1's
 * `{"value":[...],"Count":n}`, a time as ISO 8601 or 5.1's `\/Date(ms)\/`.
 * Output that is not the script's object throws PF_ERR_BAD_INPUT. An event
 * without a readable time cannot be placed in a window and is left out.
 */
export function parseHealthOutput(value: unknown): HealthScriptOutput {
  if (!isJsonObject(value) || psInt(psProp(value, 'schema')) === undefined) {
    throw new PfError(Errors.BAD_INPUT, `health JSON: expected the health script's object, got ${jsonKind(value)}`);
  }
  const schema = psInt(psProp(value, 'schema'));
  if (schema !== HEALTH_SCRIPT_SCHEMA) throw new PfError(Errors.BAD_INPUT, `health JSON: schema ${schema}, this agent reads ${HEALTH_SCRIPT_SCHEMA}`);
  const logs = psArray(psProp(value, 'logs')).map((l, i) => parseLog(l, i));
  return { psVersion: psString(psProp(value, 'psVersion')) ?? null, logs };
}

function parseLog(l: unknown, i: number): HealthLogRead {
  const log = isJsonObject(l) ? psString(psProp(l, 'log')) : undefined;
  if (!isJsonObject(l) || log === undefined) throw new PfError(Errors.BAD_INPUT, `health JSON: logs[${i}] is not a log result`, { index: i });
  if (psBool(psProp(l, 'ok')) !== true) {
    return { log, ok: false, errorId: psString(psProp(l, 'errorId')) ?? 'unknown', error: psString(psProp(l, 'error')) ?? 'failed without a message' };
  }
  const events: RawHealthEvent[] = [];
  for (const [j, e] of psArray(psProp(l, 'events')).entries()) {
    const ev = parseEvent(e, `logs[${i}].events[${j}]`);
    if (ev) events.push(ev);
  }
  return { log, ok: true, truncated: psBool(psProp(l, 'truncated')) ?? false, readErrors: psInt(psProp(l, 'readErrors')) ?? 0, events };
}

function parseEvent(e: unknown, where: string): RawHealthEvent | undefined {
  const provider = psString(psProp(e, 'provider'));
  const id = psInt(psProp(e, 'id'));
  if (!isJsonObject(e) || provider === undefined || id === undefined) {
    throw new PfError(Errors.BAD_INPUT, `health JSON: ${where} lacks a provider or a numeric id`, { where });
  }
  const iso = psInstant(psProp(e, 'time'), 'unknown');
  if (iso === undefined) return undefined;
  return {
    provider,
    id,
    at: Date.parse(iso),
    data: psArray(psProp(e, 'data')).map((d) => psString(d) ?? ''),
    binary: psString(psProp(e, 'binary')) ?? null,
    message: psString(psProp(e, 'message')) ?? null,
  };
}

/**
 * WER 1001 event names (Properties[2]) that report an application crash or
 * hang. Anything else (BlueScreen, LiveKernelEvent, WindowsUpdateFailure3,
 * StoreAgent*, AppHangTransient...) is not an application crash and is not
 * counted: the kernel crash behind a BlueScreen report is counted from the
 * System log's BugCheck 1001.
 */
export const WER_CRASH_NAMES = ['APPCRASH', 'BEX', 'BEX64', 'MoAppCrash', 'MoBEX', 'CLR20r3'] as const;
export const WER_HANG_NAMES = ['AppHangB1', 'AppHangXProcB1', 'MoAppHang', 'MoAppHangXProc'] as const;

/** A WER report pairs with an Application Error / Application Hang event of the same application this close in time. */
export const WER_PAIR_MS = 10 * 60_000;
/** Kernel-Power 41, EventLog 6008 and BugCheck 1001 this close to the first of them describe one boot. */
export const BOOT_GROUP_MS = 10 * 60_000;

const MAX_SUBJECT = 256;
const MAX_MESSAGE = 512;

/**
 * Counters and events for `window` from the script's output.
 *
 * Counted (only events in [from, to); earlier ones, read as lookback, only
 * serve to pair):
 * - appCrashes (Application log): each Application Error 1000; each
 *   Application Hang 1002 (listed with a message starting "hang"); each
 *   Windows Error Reporting 1001 whose event name is a crash or hang report
 *   (WER_CRASH_NAMES, WER_HANG_NAMES) and that has no partner: a 1000 (for a
 *   crash report) or 1002 (hang report) with the same Report Id, or else of
 *   the same application within WER_PAIR_MS. Each 1000/1002 absorbs at most
 *   one report, so a crash loop still counts every crash.
 * - kernelCrashes and unexpectedShutdowns (System log): BugCheck 1001,
 *   Kernel-Power 41 and EventLog 6008 are grouped per boot (one of each at
 *   most, within BOOT_GROUP_MS of the group's first). A group is one kernel
 *   crash when it holds a BugCheck 1001 or a 41 with a non-zero
 *   BugcheckCode, else one unexpected shutdown; it counts in the window that
 *   holds its first event.
 * - serviceFailures (System log): each Service Control Manager 7031, 7034
 *   and 7023.
 *
 * A log that could not be read leaves its counters out and names `eventlog`
 * unavailable; so does a log missing from the output.
 */
export function summarizeHealth(out: HealthScriptOutput, window: HealthWindow): CollectedHealth {
  const app = findLog(out, 'Application');
  const sys = findLog(out, 'System');
  const counters: CollectedHealth['counters'] = {};
  const events: HealthEvent[] = [];
  const inWindow = (at: number): boolean => at >= window.from && at < window.to;
  const usable = (evs: RawHealthEvent[]): RawHealthEvent[] => evs.filter((e) => e.at >= window.from - HEALTH_LOOKBACK_MS && e.at < window.to);

  if (app?.ok) {
    const counted = appCrashes(usable(app.events)).filter((c) => inWindow(c.at));
    counters.appCrashes = counted.length;
    events.push(...counted);
  }
  if (sys?.ok) {
    const evs = usable(sys.events);
    const boots = bootGroups(evs).filter((c) => inWindow(c.at));
    const services = serviceFailures(evs).filter((c) => inWindow(c.at));
    counters.kernelCrashes = boots.filter((b) => b.kind === 'kernel-crash').length;
    counters.unexpectedShutdowns = boots.filter((b) => b.kind === 'unexpected-shutdown').length;
    counters.serviceFailures = services.length;
    events.push(...boots, ...services);
  }
  events.sort((a, b) => b.at - a.at);
  return {
    counters,
    unavailable: app?.ok && sys?.ok ? [] : ['eventlog'],
    events: events.slice(0, MAX_HEALTH_EVENTS_PER_SAMPLE),
  };
}

function findLog(out: HealthScriptOutput, name: string): HealthLogRead | undefined {
  return out.logs.find((l) => l.log.toLowerCase() === name.toLowerCase());
}

function is(e: RawHealthEvent, provider: string, id: number): boolean {
  return e.id === id && e.provider.toLowerCase() === provider.toLowerCase();
}

interface AppRecord {
  at: number;
  kind: 'crash' | 'hang';
  app: string;
  reportId: string | null;
  event: RawHealthEvent;
  /** WER event name, for reports. */
  werName?: string;
}

function appCrashes(evs: RawHealthEvent[]): HealthEvent[] {
  const primaries: AppRecord[] = [];
  const reports: AppRecord[] = [];
  for (const e of evs) {
    if (is(e, 'Application Error', 1000)) primaries.push({ at: e.at, kind: 'crash', app: e.data[0] ?? '', reportId: guid(e.data[12]), event: e });
    else if (is(e, 'Application Hang', 1002)) primaries.push({ at: e.at, kind: 'hang', app: e.data[0] ?? '', reportId: guid(e.data[6]), event: e });
    else if (is(e, 'Windows Error Reporting', 1001)) {
      const name = (e.data[2] ?? '').trim();
      const kind = nameIn(name, WER_CRASH_NAMES) ? 'crash' : nameIn(name, WER_HANG_NAMES) ? 'hang' : undefined;
      // P1 (Properties[5]) is the application for every crash and hang report.
      if (kind) reports.push({ at: e.at, kind, app: e.data[5] ?? '', reportId: guid(e.data[19]), event: e, werName: name });
    }
  }
  const taken = new Set<AppRecord>();
  const unpaired: AppRecord[] = [];
  for (const r of [...reports].sort((a, b) => a.at - b.at)) {
    const same = primaries.filter((p) => !taken.has(p) && p.kind === r.kind);
    const byId = r.reportId ? same.find((p) => p.reportId === r.reportId) : undefined;
    const byApp = same
      .filter((p) => p.app.toLowerCase() === r.app.toLowerCase() && Math.abs(p.at - r.at) <= WER_PAIR_MS)
      .sort((a, b) => Math.abs(a.at - r.at) - Math.abs(b.at - r.at))[0];
    const partner = byId ?? byApp;
    if (partner) taken.add(partner);
    else unpaired.push(r);
  }
  return [...primaries, ...unpaired].map((r) => {
    const text = displayText(r.event.message);
    const label = r.kind === 'hang' ? 'hang' : r.werName ? `WER ${r.werName}` : undefined;
    const message = label ? (text ? `${label}: ${text}` : label) : text;
    return event('app-crash', r.at, r.app || `${r.event.provider}/${r.event.id}`, message);
  });
}

type BootSignal = 'bugcheck' | 'kernel-power' | 'eventlog';

function bootSignal(e: RawHealthEvent): BootSignal | undefined {
  if (e.id === 1001 && ['microsoft-windows-wer-systemerrorreporting', 'bugcheck'].includes(e.provider.toLowerCase())) return 'bugcheck';
  if (is(e, 'Microsoft-Windows-Kernel-Power', 41)) return 'kernel-power';
  if (is(e, 'EventLog', 6008)) return 'eventlog';
  return undefined;
}

function bootGroups(evs: RawHealthEvent[]): HealthEvent[] {
  const groups: Array<Map<BootSignal, RawHealthEvent>> = [];
  const signals = evs.flatMap((e) => {
    const s = bootSignal(e);
    return s ? [{ s, e }] : [];
  });
  for (const { s, e } of signals.sort((a, b) => a.e.at - b.e.at)) {
    const current = groups.at(-1);
    const first = current ? Math.min(...[...current.values()].map((x) => x.at)) : undefined;
    if (current && first !== undefined && e.at - first <= BOOT_GROUP_MS && !current.has(s)) current.set(s, e);
    else groups.push(new Map([[s, e]]));
  }
  return groups.map((g) => {
    const all = [...g.values()].sort((a, b) => a.at - b.at);
    const at = all[0]!.at;
    const bugcheck = g.get('bugcheck');
    const power = g.get('kernel-power');
    const code = bugcheck ? bugcheckFromText(bugcheck.data[0]) : undefined;
    const powerCode = power ? bugcheckFromNumber(power.data[0]) : undefined;
    if (bugcheck || powerCode) {
      const c = code ?? powerCode;
      const shown = bugcheck ?? power!;
      return event('kernel-crash', at, c ? `BugCheck ${c}` : `${shown.provider}/${shown.id}`, displayText(shown.message));
    }
    const shown = power ?? g.get('eventlog')!;
    return event('unexpected-shutdown', at, `${shown.provider}/${shown.id}`, displayText(shown.message));
  });
}

function serviceFailures(evs: RawHealthEvent[]): HealthEvent[] {
  return evs
    .filter((e) => e.provider.toLowerCase() === 'service control manager' && [7031, 7034, 7023].includes(e.id))
    .map((e) => event('service-failure', e.at, serviceKeyName(e.binary) ?? (e.data[0] || `${e.provider}/${e.id}`), displayText(e.message)));
}

function event(kind: HealthEvent['kind'], at: number, subject: string, message: string | undefined): HealthEvent {
  const ev: HealthEvent = { kind, at, subject: subject.slice(0, MAX_SUBJECT) };
  if (message) ev.message = message.slice(0, MAX_MESSAGE);
  return ev;
}

function nameIn(name: string, list: readonly string[]): boolean {
  return list.some((n) => n.toLowerCase() === name.toLowerCase());
}

/** A Report Id GUID, lower case without braces; null when absent or all zeros. */
function guid(s: string | undefined): string | null {
  const g = (s ?? '').trim().replace(/^\{|\}$/g, '').toLowerCase();
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(g) && /[1-9a-f]/.test(g) ? g : null;
}

/** "0x0000009f (0x..., ...)" (BugCheck 1001 Properties[0]) -> "0x0000009F". */
function bugcheckFromText(s: string | undefined): string | undefined {
  const m = /0x([0-9a-f]{1,16})/i.exec(s ?? '');
  return m ? hex8(parseInt(m[1]!, 16)) : undefined;
}

/** Kernel-Power 41 BugcheckCode (UInt32, written in decimal) -> "0x0000009F"; undefined when 0 or unreadable. */
function bugcheckFromNumber(s: string | undefined): string | undefined {
  const t = (s ?? '').trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  return Number.isFinite(n) && n > 0 ? hex8(n) : undefined;
}

function hex8(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;
}

/**
 * The service's key name from a Service Control Manager event's binary data
 * (hex of UTF-16LE text, NUL-terminated, e.g. "770075006100750073006500720076000000"
 * = "wuauserv"); undefined when absent or not such text. Key names are never
 * translated, unlike the display name in Properties[0].
 */
export function serviceKeyName(hex: string | null): string | undefined {
  const clean = (hex ?? '').replace(/[\s-]/g, '');
  if (clean.length < 4 || clean.length % 4 !== 0 || !/^[0-9a-f]+$/i.test(clean)) return undefined;
  const text = Buffer.from(clean, 'hex').toString('utf16le');
  const name = text.split('\0')[0]!.split('/')[0]!;
  return /^[\x21-\x7e]{1,256}$/.test(name) && !name.includes('\\') ? name : undefined;
}

/** A message for display: direction marks dropped, whitespace (CR LF, tabs) folded to single spaces. */
function displayText(message: string | null): string | undefined {
  const t = (message ?? '').replace(/[\u200e\u200f]/g, '').replace(/\s+/g, ' ').trim();
  return t || undefined;
}
