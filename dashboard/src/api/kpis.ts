/**
 * The overview's fleet figures. `GET /api/v1/kpis` (MTTP by tier, share
 * within SLA, exposure-days, install success and rollback rates) is being
 * built; until a controller answers it, the figures are the ones the other
 * routes already give. This function is the one place that changes when it lands.
 */
import { ApiError, get } from './client';
import { hosts, patches, rollouts } from './endpoints';

export interface Figure {
  label: string;
  value: string;
  hint?: string;
}

export interface FleetFigures {
  source: 'kpis' | 'derived';
  figures: Figure[];
}

/** `mttpByTier.critical` -> `Mttp by tier: critical`. */
function labelOf(path: string[]): string {
  const words = path.map((p) => p.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase());
  const [first = '', ...rest] = words;
  const head = first.charAt(0).toUpperCase() + first.slice(1);
  return rest.length ? `${head}: ${rest.join(', ')}` : head;
}

function show(v: number, key: string): string {
  if (/rate|share|ratio/i.test(key) && v >= 0 && v <= 1) return `${(v * 100).toFixed(1)} %`;
  return Number.isInteger(v) ? v.toLocaleString() : v.toFixed(2);
}

/** Every number in the /kpis answer (two levels deep) as a labelled figure, whatever its final shape. */
export function figuresOf(body: unknown, path: string[] = []): Figure[] {
  if (typeof body === 'number') return [{ label: labelOf(path), value: show(body, path.join('.')) }];
  if (body === null || typeof body !== 'object' || Array.isArray(body) || path.length > 2) return [];
  return Object.entries(body as Record<string, unknown>).flatMap(([k, v]) => figuresOf(v, [...path, k]));
}

async function derived(): Promise<FleetFigures> {
  const [all, missing, list] = await Promise.all([hosts.search('', 500), patches.list('', true, 500), rollouts.list()]);
  const online = all.items.filter((h) => h.online).length;
  const byState = (s: string) => list.items.filter((r) => r.state === s).length;
  const hostsMissing = missing.items.reduce((n, p) => n + p.affectedHosts, 0);
  const sampled = all.total > all.items.length ? ` (of the first ${all.items.length})` : '';
  return {
    source: 'derived',
    figures: [
      { label: 'Hosts', value: all.total.toLocaleString() },
      { label: 'Online now', value: online.toLocaleString(), hint: `hosts with a live session${sampled}` },
      { label: 'Patches missing somewhere', value: missing.total.toLocaleString() },
      { label: 'Missing host-patch pairs', value: hostsMissing.toLocaleString(), hint: missing.total > missing.items.length ? `over the first ${missing.items.length} patches` : undefined },
      { label: 'Rollouts active', value: byState('active').toLocaleString() },
      { label: 'Rollouts halted', value: byState('halted').toLocaleString(), hint: 'a health gate or a person stopped them' },
      { label: 'Rollouts completed', value: byState('completed').toLocaleString(), hint: `of the last ${list.items.length}` },
    ].map((f) => (f.hint ? f : { label: f.label, value: f.value })),
  };
}

/** The fleet's figures: /api/v1/kpis when the controller has it, else what the host, patch and rollout lists give. */
export async function fleetFigures(): Promise<FleetFigures> {
  try {
    return { source: 'kpis', figures: figuresOf(await get<unknown>('/api/v1/kpis')) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return derived();
    throw err;
  }
}
