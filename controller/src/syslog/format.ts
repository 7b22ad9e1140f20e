/**
 * One audit entry as an RFC 5424 syslog message, and its RFC 6587 octet-
 * counting frame (the framing RFC 5425 prescribes over TLS as well):
 *
 *   <PRI>1 TIMESTAMP HOSTNAME patchfleet PROCID MSGID [patchfleet@32473 auditId=".." actor=".." targetType=".." targetId=".." requestId=".."] BOM MSG
 *
 * PRI = facility * 8 + severity (severityOf); TIMESTAMP is the entry's time
 * (ISO 8601, UTC, milliseconds); PROCID the controller's id; MSGID the audit
 * action; MSG the whole entry as JSON or as key=value pairs, UTF-8 after a BOM
 * (RFC 5424 section 6.4). 32473 is the private enterprise number RFC 5612
 * reserves for documentation: Patchfleet has none of its own.
 */

export const SD_ID = 'patchfleet@32473';
export const APP_NAME = 'patchfleet';

/** Facilities by name (RFC 5424 table 1). */
export const FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11, ntp: 12, audit: 13, alert: 14, clock: 15,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;
export type FacilityName = keyof typeof FACILITIES;

export const SEVERITY = { warning: 4, notice: 5, informational: 6 } as const;

/** Actions that report harm or a stop: warning. */
const WARNING_ACTIONS = new Set(['rollout.halted', 'safety.gate_tripped', 'block.create', 'rollout.hosts_blocked', 'rollout.host_rollback', 'rollout.deadline_missed', 'rollout.reboot_failed', 'rollout.ring.halted', 'command.timed_out']);

/** Severity of an audit action: warning for harm and stops, notice for refusals and access changes, informational otherwise. */
export function severityOf(action: string): number {
  if (WARNING_ACTIONS.has(action)) return SEVERITY.warning;
  if (action.endsWith('.refused') || action.startsWith('api-token.') || action.startsWith('person.') || action.startsWith('webhook.') || action.endsWith('.revoke') || action === 'audit.retention') return SEVERITY.notice;
  return SEVERITY.informational;
}

/** What an audit entry holds (audit/export.ts AuditExportEntry). */
export interface SyslogEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
  requestId: string | null;
}

export interface FormatOptions {
  facility: number;
  hostname: string;
  procId: string;
  format: 'json' | 'kv';
}

/** Printable US-ASCII (33..126) only, at most `max` characters; '-' (the nil value) when nothing is left. */
export function headerField(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** A PARAM-VALUE: '"', '\' and ']' escaped with a backslash (RFC 5424 section 6.3.3). */
export function sdValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** key=value pairs: values with a space, quote, '=' or backslash quoted; nested values as JSON. */
function keyValues(entry: SyslogEntry): string {
  const pairs: [string, unknown][] = [
    ['id', entry.id],
    ['at', entry.at],
    ['actor', entry.actor],
    ['action', entry.action],
    ['targetType', entry.targetType],
    ['targetId', entry.targetId],
    ['requestId', entry.requestId],
    ...Object.entries(entry.details).map(([k, v]): [string, unknown] => [`details.${k}`, v]),
  ];
  return pairs
    .map(([k, v]) => {
      const text = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
      return `${k}=${/[\s"=\\]/.test(text) || text === '' ? `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"` : text}`;
    })
    .join(' ');
}

/** The RFC 5424 message of one audit entry. */
export function formatSyslog(entry: SyslogEntry, opts: FormatOptions): string {
  const pri = opts.facility * 8 + severityOf(entry.action);
  const params: [string, string][] = [
    ['auditId', String(entry.id)],
    ['actor', entry.actor],
    ['targetType', entry.targetType],
    ['targetId', entry.targetId],
    ...(entry.requestId !== null ? ([['requestId', entry.requestId]] as [string, string][]) : []),
  ];
  const sd = `[${SD_ID} ${params.map(([k, v]) => `${k}="${sdValue(v)}"`).join(' ')}]`;
  const msg =
    opts.format === 'json'
      ? JSON.stringify({ id: entry.id, at: entry.at, actor: entry.actor, action: entry.action, targetType: entry.targetType, targetId: entry.targetId, requestId: entry.requestId, details: entry.details })
      : keyValues(entry);
  return `<${pri}>1 ${entry.at} ${headerField(opts.hostname, 255)} ${APP_NAME} ${headerField(opts.procId, 128)} ${headerField(entry.action, 32)} ${sd} \uFEFF${msg}`;
}

/** RFC 6587 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes of the UTF-8 message. */
export function octetFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
