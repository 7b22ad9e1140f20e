/** Every API call the dashboard makes, typed: pages call these, never fetch. */
import { get, patch, post } from './client';
import type { AuditEntry, HostDetail, HostHealth, HostPatches, HostSummary, MaintenanceWindow, Page, PatchDetail, PatchListItem, Reliability, Ring, Role, Rollout, RolloutHost, RolloutSummary, SessionBody, UserAccount } from './types';

const V1 = '/api/v1';

export const auth = {
  me: () => get<SessionBody>(`${V1}/auth/me`, undefined, { quiet401: true }),
  signIn: (name: string, password: string) => post<SessionBody>(`${V1}/auth/sign-in`, { name, password }, { quiet401: true }),
  signOut: () => post<unknown>(`${V1}/auth/sign-out`),
  changePassword: (current: string, next: string) => post<unknown>(`${V1}/auth/password`, { current, next }),
};

export const hosts = {
  search: (q: string, limit = 50, offset = 0) => get<Page<HostSummary>>(`${V1}/hosts`, { q, limit, offset }),
  get: (id: string) => get<HostDetail>(`${V1}/hosts/${encodeURIComponent(id)}`),
  patches: (id: string) => get<HostPatches>(`${V1}/hosts/${encodeURIComponent(id)}/patches`),
  health: (id: string) => get<HostHealth>(`${V1}/hosts/${encodeURIComponent(id)}/health`, { resolution: 'hour' }),
};

export const patches = {
  list: (q: string, affected: boolean, limit = 50) => get<Page<PatchListItem>>(`${V1}/patches`, { q, affected: affected || undefined, limit }),
  get: (id: string) => get<PatchDetail>(`${V1}/patches/${encodeURIComponent(id)}`),
  reliability: (id: string) => get<Reliability>(`${V1}/patches/${encodeURIComponent(id)}/reliability`),
};

/** Rollout actions and the least role each needs (controller/src/api/routes/rollouts.ts). */
export const ROLLOUT_ACTIONS = { pause: 'operator', resume: 'operator', cancel: 'operator', rollback: 'admin' } as const;
export type RolloutAction = keyof typeof ROLLOUT_ACTIONS;

export const rollouts = {
  list: () => get<{ items: RolloutSummary[] }>(`${V1}/rollouts`),
  get: (id: string) => get<Rollout>(`${V1}/rollouts/${encodeURIComponent(id)}`),
  hosts: (id: string) => get<{ items: RolloutHost[] }>(`${V1}/rollouts/${encodeURIComponent(id)}/hosts`),
  act: (id: string, action: RolloutAction, reason?: string) => post<Rollout>(`${V1}/rollouts/${encodeURIComponent(id)}/${action}`, reason ? { reason } : {}),
  approve: (id: string, ring: string) => post<{ rollout: Rollout }>(`${V1}/rollouts/${encodeURIComponent(id)}/approve`, { ring }),
};

export const rings = {
  list: () => get<{ items: Ring[] }>(`${V1}/rings`),
  get: (id: string) => get<Ring>(`${V1}/rings/${encodeURIComponent(id)}`),
  setWindows: (id: string, windows: MaintenanceWindow[]) => patch<Ring>(`${V1}/rings/${encodeURIComponent(id)}`, { windows }),
};

export const auditLog = {
  list: (before?: number, limit = 50) => get<{ items: AuditEntry[] }>(`${V1}/audit`, { before, limit }),
};

export const users = {
  list: () => get<{ items: UserAccount[] }>(`${V1}/users`),
  create: (name: string, role: Role, password: string) => post<UserAccount>(`${V1}/users`, { name, role, password }),
  update: (id: string, change: { role?: Role; disabled?: boolean }) => patch<UserAccount>(`${V1}/users/${encodeURIComponent(id)}`, change),
};
