/**
 * Health probes, configured centrally (owner of `probes`). A probe has a
 * kind (http, tcp, command), what it checks, a timeout and a scope (labels
 * that must all match, and optionally a ring). Agents receive the probes
 * that apply to them in `healthConfig` (config-push.ts).
 */
import { randomBytes } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import type { ProbeConfig } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { Db, Tx } from '../db/index';
import { probes, type ProbeScope, type ProbeSpec } from '../db/schema/index';
import { findRing } from '../rollout/ring-store';

export type ProbeKind = 'http' | 'tcp' | 'command';

/** A probe as the API shows it: the wire fields (ProbeConfig) plus scope, enabled and bookkeeping. */
export interface ProbeView extends ProbeSpec {
  id: string;
  name: string;
  kind: ProbeKind;
  timeoutMs: number;
  scope: ProbeScope;
  enabled: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** What a create or edit may set (all optional on edit). */
export interface ProbeInput extends ProbeSpec {
  name?: string;
  kind?: ProbeKind;
  timeoutMs?: number;
  scope?: ProbeScope;
  enabled?: boolean;
}

const SPEC_KEYS = ['url', 'expectStatus', 'maxLatencyMs', 'bodyMatch', 'host', 'port', 'argv', 'expectExit'] as const;
const KIND_KEYS: Record<ProbeKind, readonly (typeof SPEC_KEYS)[number][]> = {
  http: ['url', 'expectStatus', 'maxLatencyMs', 'bodyMatch'],
  tcp: ['host', 'port'],
  command: ['argv', 'expectExit'],
};
export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

type Row = typeof probes.$inferSelect;

function view(r: Row): ProbeView {
  return { id: r.id, name: r.name, kind: r.kind, timeoutMs: r.timeoutMs, ...r.spec, scope: r.scope, enabled: r.enabled, createdBy: r.createdBy, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() };
}

/** The spec of `kind` from `input`: required fields present, fields of other kinds refused, the body regex compiles. */
function specOf(kind: ProbeKind, input: ProbeSpec): ProbeSpec {
  const allowed = new Set<string>(KIND_KEYS[kind]);
  for (const key of SPEC_KEYS) if (input[key] !== undefined && !allowed.has(key)) throw new PfError(Errors.VALIDATION, `${key} does not apply to a ${kind} probe`);
  if (kind === 'http' && !input.url) throw new PfError(Errors.VALIDATION, 'an http probe needs url');
  if (kind === 'tcp' && (!input.host || input.port === undefined)) throw new PfError(Errors.VALIDATION, 'a tcp probe needs host and port');
  if (kind === 'command' && (!input.argv || input.argv.length === 0)) throw new PfError(Errors.VALIDATION, 'a command probe needs argv');
  if (input.bodyMatch !== undefined) {
    try {
      new RegExp(input.bodyMatch);
    } catch (err) {
      throw new PfError(Errors.VALIDATION, `bodyMatch is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  const spec: ProbeSpec = {};
  for (const key of KIND_KEYS[kind]) if (input[key] !== undefined) (spec as Record<string, unknown>)[key] = input[key];
  return spec;
}

/** The scope with its ring resolved to an id (a ring may be named); PF_ERR_VALIDATION for an unknown ring. */
async function resolveScope(db: Db | Tx, scope: ProbeScope | undefined): Promise<ProbeScope> {
  if (!scope) return {};
  const out: ProbeScope = {};
  if (scope.labels && Object.keys(scope.labels).length > 0) out.labels = scope.labels;
  if (scope.ringId) {
    const ring = await findRing(db, scope.ringId);
    if (!ring) throw new PfError(Errors.VALIDATION, `scope.ringId: ring ${scope.ringId} not found`);
    out.ringId = ring.id;
  }
  return out;
}

async function checkNameFree(db: Db | Tx, name: string, selfId: string | undefined): Promise<void> {
  const [row] = await db.select({ id: probes.id }).from(probes).where(eq(probes.name, name)).limit(1);
  if (row && row.id !== selfId) throw new PfError(Errors.PROBE_NAME_TAKEN, `a probe named "${name}" already exists`);
}

export async function listProbes(db: Db | Tx): Promise<ProbeView[]> {
  return (await db.select().from(probes).orderBy(asc(probes.name))).map(view);
}

/** One probe by id or name. */
export async function findProbe(db: Db | Tx, idOrName: string): Promise<ProbeView | undefined> {
  const [row] = await db.select().from(probes).where(sql`${probes.id} = ${idOrName} or ${probes.name} = ${idOrName}`).limit(1);
  return row ? view(row) : undefined;
}

export async function createProbe(tx: Tx, input: ProbeInput & { name: string; kind: ProbeKind }, actor: string, now: Date): Promise<ProbeView> {
  const spec = specOf(input.kind, input);
  await checkNameFree(tx, input.name, undefined);
  const [row] = await tx
    .insert(probes)
    .values({
      id: `pr_${randomBytes(8).toString('hex')}`,
      name: input.name,
      kind: input.kind,
      spec,
      scope: await resolveScope(tx, input.scope),
      timeoutMs: input.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      enabled: input.enabled ?? true,
      createdBy: actor,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return view(row as Row);
}

/** Changes a probe. A change of kind replaces the whole spec; otherwise the given fields replace theirs. */
export async function updateProbe(tx: Tx, idOrName: string, input: ProbeInput, now: Date): Promise<ProbeView> {
  const current = await findProbe(tx, idOrName);
  if (!current) throw new PfError(Errors.NOT_FOUND, `probe ${idOrName} not found`);
  const kind = input.kind ?? current.kind;
  const base: ProbeSpec = kind === current.kind ? Object.fromEntries(SPEC_KEYS.filter((k) => current[k] !== undefined).map((k) => [k, current[k]])) : {};
  const merged: ProbeSpec = { ...base };
  for (const key of SPEC_KEYS) if (input[key] !== undefined) (merged as Record<string, unknown>)[key] = input[key];
  const spec = specOf(kind, merged);
  if (input.name !== undefined) await checkNameFree(tx, input.name, current.id);
  const [row] = await tx
    .update(probes)
    .set({
      name: input.name ?? current.name,
      kind,
      spec,
      scope: input.scope !== undefined ? await resolveScope(tx, input.scope) : current.scope,
      timeoutMs: input.timeoutMs ?? current.timeoutMs,
      enabled: input.enabled ?? current.enabled,
      updatedAt: now,
    })
    .where(eq(probes.id, current.id))
    .returning();
  return view(row as Row);
}

export async function deleteProbe(tx: Tx, idOrName: string): Promise<ProbeView> {
  const current = await findProbe(tx, idOrName);
  if (!current) throw new PfError(Errors.NOT_FOUND, `probe ${idOrName} not found`);
  await tx.delete(probes).where(eq(probes.id, current.id));
  return current;
}

/** Whether a probe's scope takes in a host with these labels in this ring. */
export function scopeMatches(scope: ProbeScope, labels: Record<string, string>, ringId: string | null): boolean {
  if (scope.ringId && scope.ringId !== ringId) return false;
  for (const [k, v] of Object.entries(scope.labels ?? {})) if (labels[k] !== v) return false;
  return true;
}

/** The enabled probes of `all` that apply to a host, as the wire carries them. */
export function probesForHost(all: readonly ProbeView[], labels: Record<string, string>, ringId: string | null): ProbeConfig[] {
  return all.filter((p) => p.enabled && scopeMatches(p.scope, labels, ringId)).map(toWire);
}

function toWire(p: ProbeView): ProbeConfig {
  const out: ProbeConfig = { id: p.id, name: p.name, kind: p.kind, timeoutMs: p.timeoutMs };
  for (const key of SPEC_KEYS) if (p[key] !== undefined) (out as Record<string, unknown>)[key] = p[key];
  return out;
}
