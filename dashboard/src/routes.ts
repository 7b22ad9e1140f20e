/**
 * The dashboard's pages: path, the least role that may open it (as the API
 * checks it), and the page module, loaded on first visit so the first load
 * stays small.
 */
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { Role } from './api/types';

export interface PageProps {
  params: Record<string, string>;
}

export interface RouteDef {
  path: string;
  /** In the navigation bar, with this label. */
  nav?: string;
  role: Role;
  page: LazyExoticComponent<ComponentType<PageProps>>;
}

export const ROUTES: RouteDef[] = [
  { path: '/', nav: 'Overview', role: 'helpdesk', page: lazy(() => import('./pages/overview')) },
  { path: '/hosts', nav: 'Hosts', role: 'helpdesk', page: lazy(() => import('./pages/hosts')) },
  { path: '/hosts/:id', role: 'helpdesk', page: lazy(() => import('./pages/host')) },
  { path: '/patches', nav: 'Patches', role: 'helpdesk', page: lazy(() => import('./pages/patches')) },
  { path: '/patches/:id', role: 'helpdesk', page: lazy(() => import('./pages/patch')) },
  { path: '/rollouts', nav: 'Rollouts', role: 'helpdesk', page: lazy(() => import('./pages/rollouts')) },
  // Before /rollouts/:id, which would take "new" for an id.
  { path: '/rollouts/new', role: 'operator', page: lazy(() => import('./pages/rollout-new')) },
  { path: '/rollouts/:id', role: 'helpdesk', page: lazy(() => import('./pages/rollout')) },
  { path: '/rings', nav: 'Rings', role: 'helpdesk', page: lazy(() => import('./pages/rings')) },
  { path: '/rings/:id', role: 'helpdesk', page: lazy(() => import('./pages/ring')) },
  { path: '/freezes', nav: 'Freezes', role: 'helpdesk', page: lazy(() => import('./pages/freezes')) },
  { path: '/users', nav: 'Users', role: 'admin', page: lazy(() => import('./pages/users')) },
  { path: '/tokens', nav: 'Tokens', role: 'helpdesk', page: lazy(() => import('./pages/tokens')) },
  { path: '/audit', nav: 'Audit', role: 'admin', page: lazy(() => import('./pages/audit')) },
  { path: '/settings', nav: 'Settings', role: 'admin', page: lazy(() => import('./pages/settings')) },
  { path: '/account', role: 'helpdesk', page: lazy(() => import('./pages/account')) },
];
