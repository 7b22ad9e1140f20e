/**
 * What the controller's JSON API answers, named for the pages. Every type
 * here is taken from the generated `paths` (shared/src/api/paths.ts, made by
 * `pnpm api:types` from the controller's route schemas), never written by
 * hand: a route whose schema changes breaks the page that reads it at
 * compile time.
 */
import type { BodyOf, paths, ResponseOf } from '@patchfleet/shared/api';

type Item<T> = T extends { items: Array<infer I> } ? I : never;

export type SessionBody = ResponseOf<'/api/v1/auth/me', 'get'>;
export type SessionUser = SessionBody['user'];
export type Role = SessionUser['role'];

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export type HostSummary = Item<ResponseOf<'/api/v1/hosts', 'get'>>;
export type HostDetail = ResponseOf<'/api/v1/hosts/{id}', 'get'>;
export type HostPatches = ResponseOf<'/api/v1/hosts/{id}/patches', 'get'>;
export type MissingPatch = HostPatches['missing'][number];
export type DecisionSummary = NonNullable<MissingPatch['decision']>;
export type HostHealth = ResponseOf<'/api/v1/hosts/{id}/health', 'get'>;
export type HostOverview = ResponseOf<'/api/v1/hosts/{id}/overview', 'get'>;
export type Kpis = ResponseOf<'/api/v1/kpis', 'get'>;

export type PatchListItem = Item<ResponseOf<'/api/v1/patches', 'get'>>;
export type PatchDetail = ResponseOf<'/api/v1/patches/{id}', 'get'>;
export type Reliability = ResponseOf<'/api/v1/patches/{id}/reliability', 'get'>;
export type PatchBlock = Item<ResponseOf<'/api/v1/blocks', 'get'>>;
export type Incident = Item<ResponseOf<'/api/v1/incidents', 'get'>>;

export type RolloutSummary = Item<ResponseOf<'/api/v1/rollouts', 'get'>>;
export type Rollout = ResponseOf<'/api/v1/rollouts/{id}', 'get'>;
export type RolloutState = Rollout['state'];
export type RolloutRing = Rollout['rings'][number];
export type RolloutHost = Item<ResponseOf<'/api/v1/rollouts/{id}/hosts', 'get'>>;
export type StartRolloutBody = BodyOf<'/api/v1/rollouts', 'post'>;

export type Ring = ResponseOf<'/api/v1/rings/{id}', 'get'>;
export type RingChange = BodyOf<'/api/v1/rings/{id}', 'patch'>;
export type MaintenanceWindow = NonNullable<RingChange['windows']>[number];
export type RebootPolicy = NonNullable<RingChange['reboot']>;
export type NextWindows = ResponseOf<'/api/v1/rings/{id}/next-windows', 'get'>;
export type RingRule = Item<ResponseOf<'/api/v1/ring-rules', 'get'>>;
export type RuleMatch = RingRule['match'];

export type Freeze = Item<ResponseOf<'/api/v1/freezes', 'get'>>;
export type FreezeInput = BodyOf<'/api/v1/freezes', 'post'>;

export type AuditEntry = Item<ResponseOf<'/api/v1/audit', 'get'>>;
/** GET /audit's filters (paging aside). */
export type AuditQuery = Omit<NonNullable<paths['/api/v1/audit']['get']['parameters']['query']>, 'before' | 'limit'>;

export type Probe = Item<ResponseOf<'/api/v1/probes', 'get'>>;
export type ProbeInput = BodyOf<'/api/v1/probes', 'post'>;
export type ProbeChange = BodyOf<'/api/v1/probes/{id}', 'patch'>;
export type CatalogStatus = ResponseOf<'/api/v1/catalog/status', 'get'>;
export type UserAccount = ResponseOf<'/api/v1/users/{id}', 'get'>;

export type ApiToken = Item<ResponseOf<'/api/v1/api-tokens', 'get'>>;
export type MintedToken = ResponseOf<'/api/v1/api-tokens', 'post'>;
export type NewToken = BodyOf<'/api/v1/api-tokens', 'post'>;
