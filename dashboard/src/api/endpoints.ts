/**
 * Every API call the dashboard makes, through the one typed client shared
 * with the CLI (`TypedApi`, @patchfleet/shared/api): paths, parameters,
 * bodies and answers are the controller's route schemas. Pages call these,
 * never fetch.
 */
import { TypedApi } from '@patchfleet/shared/api';
import { request } from './client';
import type { AuditQuery, FreezeInput, MaintenanceWindow, NewToken, ProbeInput, ProbeChange, RingChange, RingRule, Role, StartRolloutBody } from './types';

/** Over the dashboard's fetch: session cookie, CSRF header on writes, 401 ends the session. */
const api = new TypedApi(async (method, url, body) => ({ status: 200, body: await request<unknown>(method, url, body ?? (method === 'GET' ? undefined : {})) }));
/** The same, for the session check and sign-in, whose 401 only means "not signed in". */
const quiet = new TypedApi(async (method, url, body) => ({ status: 200, body: await request<unknown>(method, url, body, { quiet401: true }) }));

export const auth = {
  me: () => quiet.call('get', '/api/v1/auth/me'),
  signIn: (name: string, password: string) => quiet.call('post', '/api/v1/auth/sign-in', { body: { name, password } }),
  signOut: () => api.call('post', '/api/v1/auth/sign-out'),
  changePassword: (current: string, next: string) => api.call('post', '/api/v1/auth/password', { body: { current, next } }),
  oidc: () => quiet.call('get', '/api/v1/auth/oidc'),
};

export const hosts = {
  search: (q: string, limit = 50, offset = 0) => api.call('get', '/api/v1/hosts', { query: { q: q || undefined, limit, offset } }),
  get: (id: string) => api.call('get', '/api/v1/hosts/{id}', { params: { id } }),
  patches: (id: string) => api.call('get', '/api/v1/hosts/{id}/patches', { params: { id } }),
  /** The last 24 hours of samples as sent (raw): the hourly roll-up lags by up to its 5-minute round, and the help desk asks about now. */
  health: (id: string) => api.call('get', '/api/v1/hosts/{id}/health', { params: { id }, query: { resolution: 'raw' } }),
  overview: (id: string) => api.call('get', '/api/v1/hosts/{id}/overview', { params: { id } }),
};

export const patches = {
  list: (q: string, affected: boolean, limit = 50) => api.call('get', '/api/v1/patches', { query: { q: q || undefined, affected: affected || undefined, limit } }),
  get: (id: string) => api.call('get', '/api/v1/patches/{id}', { params: { id } }),
  reliability: (id: string) => api.call('get', '/api/v1/patches/{id}/reliability', { params: { id } }),
};

/** What tripped health gates did to a patch: its blocks (per class or fleet-wide) and the incidents holding the evidence. */
export const safety = {
  blocks: (patch: string) => api.call('get', '/api/v1/blocks', { query: { patch } }),
  incidents: (patch: string) => api.call('get', '/api/v1/incidents', { query: { patch } }),
};

/** Rollout actions and the least role each needs (controller/src/api/routes/rollouts.ts). */
export const ROLLOUT_ACTIONS = { pause: 'operator', resume: 'operator', cancel: 'operator', rollback: 'admin' } as const;
export type RolloutAction = keyof typeof ROLLOUT_ACTIONS;

/** Starting a rollout needs an operator; expediting it an admin (controller/src/api/routes/rollouts.ts). */
export const START_ROLLOUT_ROLE = 'operator' as const;
export const EXPEDITE_ROLE = 'admin' as const;

export const rollouts = {
  list: () => api.call('get', '/api/v1/rollouts'),
  start: (body: StartRolloutBody) => api.call('post', '/api/v1/rollouts', { body }),
  /** The rollouts carrying one patch: its page shows their state and why they halted. */
  ofPatch: (patch: string) => api.call('get', '/api/v1/rollouts', { query: { patch } }),
  get: (id: string) => api.call('get', '/api/v1/rollouts/{id}', { params: { id } }),
  hosts: (id: string) => api.call('get', '/api/v1/rollouts/{id}/hosts', { params: { id } }),
  act: (id: string, action: RolloutAction, reason?: string) => api.call('post', `/api/v1/rollouts/{id}/${action}`, { params: { id }, body: reason ? { reason } : {} }),
  approve: (id: string, ring: string, comment?: string) => api.call('post', '/api/v1/rollouts/{id}/approve', { params: { id }, body: comment ? { ring, comment } : { ring } }),
};

export const rings = {
  list: () => api.call('get', '/api/v1/rings'),
  get: (id: string) => api.call('get', '/api/v1/rings/{id}', { params: { id } }),
  setWindows: (id: string, windows: MaintenanceWindow[]) => api.call('patch', '/api/v1/rings/{id}', { params: { id }, body: { windows } }),
  update: (id: string, change: RingChange) => api.call('patch', '/api/v1/rings/{id}', { params: { id }, body: change }),
  nextWindows: (id: string, count = 5) => api.call('get', '/api/v1/rings/{id}/next-windows', { params: { id }, query: { count } }),
};

export const ringRules = {
  list: () => api.call('get', '/api/v1/ring-rules'),
  /** Replaces every rule (the API has no per-rule write): pass the whole list. */
  replace: (items: RingRule[]) => api.call('put', '/api/v1/ring-rules', { body: { items } }),
};

export const freezes = {
  list: () => api.call('get', '/api/v1/freezes'),
  create: (freeze: FreezeInput) => api.call('post', '/api/v1/freezes', { body: freeze }),
  remove: (id: string) => api.call('delete', '/api/v1/freezes/{id}', { params: { id } }),
};

export const auditLog = {
  list: (filter: AuditQuery, before?: number, limit = 50) => api.call('get', '/api/v1/audit', { query: { ...filter, before, limit } }),
};

export const probes = {
  list: () => api.call('get', '/api/v1/probes'),
  create: (probe: ProbeInput) => api.call('post', '/api/v1/probes', { body: probe }),
  update: (id: string, change: ProbeChange) => api.call('patch', '/api/v1/probes/{id}', { params: { id }, body: change }),
  remove: (id: string) => api.call('delete', '/api/v1/probes/{id}', { params: { id } }),
};

export const catalog = {
  status: () => api.call('get', '/api/v1/catalog/status'),
};

export const users = {
  list: () => api.call('get', '/api/v1/users'),
  create: (name: string, role: Role, password: string) => api.call('post', '/api/v1/users', { body: { name, role, password } }),
  update: (id: string, change: { role?: Role; disabled?: boolean }) => api.call('patch', '/api/v1/users/{id}', { params: { id }, body: change }),
};

export const apiTokens = {
  /** Own tokens for everyone; everyone's for an admin unless `mine`. */
  list: (all: boolean, mine: boolean) => api.call('get', '/api/v1/api-tokens', { query: { include: all ? 'all' : 'live', mine: mine || undefined } }),
  mint: (token: NewToken) => api.call('post', '/api/v1/api-tokens', { body: token }),
  revoke: (id: string) => api.call('post', '/api/v1/api-tokens/{id}/revoke', { params: { id } }),
};

export const fleet = {
  kpis: (days: number) => api.call('get', '/api/v1/kpis', { query: { days } }),
};
