/**
 * The audit page's filter and the address bar: every filter lives in the URL
 * query (`/audit?actor=user%3Aada&action=ring.update`) so a filtered view can
 * be shared; the time range is kept as ISO instants and shown in
 * `datetime-local` inputs in the viewer's zone.
 */
import type { AuditQuery } from '../api/types';

/** The filters the page offers, in the order of its form. */
export const AUDIT_FILTER_KEYS = ['actor', 'action', 'targetType', 'targetId', 'since', 'until'] as const satisfies readonly (keyof AuditQuery)[];
export type AuditFilter = Partial<Record<(typeof AUDIT_FILTER_KEYS)[number], string>>;

/** The filter a URL query holds: known keys with non-blank values, trimmed; anything else ignored. */
export function filterFromQuery(query: URLSearchParams): AuditFilter {
  const out: AuditFilter = {};
  for (const key of AUDIT_FILTER_KEYS) {
    const v = query.get(key)?.trim();
    if (v) out[key] = v;
  }
  return out;
}

/** The page's URL for a filter: `/audit` with only the filters given, in a stable order. */
export function auditHref(filter: AuditFilter): string {
  const params = new URLSearchParams();
  for (const key of AUDIT_FILTER_KEYS) {
    const v = filter[key]?.trim();
    if (v) params.set(key, v);
  }
  const s = params.toString();
  return s ? `/audit?${s}` : '/audit';
}

/** `2026-11-23T14:05` typed in a datetime-local input (the viewer's zone) as an ISO instant; '' stays ''; undefined when not a time. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return '';
  const t = new Date(value).getTime();
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

/** An ISO instant as a datetime-local input's value in the viewer's zone (minutes); '' for none or a bad value. */
export function isoToLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (!Number.isFinite(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Whether any filter is set (the page says "matching" and offers to clear them). */
export const isFiltered = (filter: AuditFilter): boolean => AUDIT_FILTER_KEYS.some((k) => filter[k]);
