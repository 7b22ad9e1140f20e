/**
 * Who is signed in. The session itself is the controller's HttpOnly cookie;
 * the app keeps the user and role (what to show) and hands the CSRF token to
 * the API client (every write sends it). While signed in, the live-update
 * stream keeps the cached pages fresh (api/live.ts).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, onSignedOut, setCsrfToken } from './api/client';
import { auth } from './api/endpoints';
import { startLiveUpdates } from './api/live';
import type { Role, SessionBody, SessionUser } from './api/types';

const RANK: Record<Role, number> = { helpdesk: 0, operator: 1, admin: 2 };

/** True when `role` is at least `needed` (admin > operator > helpdesk), as the controller checks. */
export function roleAllows(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}

interface SessionState {
  /** undefined while the first /auth/me is on its way. */
  user: SessionUser | null | undefined;
  signIn(name: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  can(needed: Role): boolean;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<SessionUser | null | undefined>(undefined);
  const queries = useQueryClient();

  const accept = useCallback((body: SessionBody | null) => {
    setCsrfToken(body?.csrfToken ?? null);
    setUser(body?.user ?? null);
    if (!body) queries.clear();
  }, [queries]);

  useEffect(() => {
    let live = true;
    auth
      .me()
      .then((body) => live && accept(body))
      .catch((err: unknown) => {
        // 401: not signed in. Anything else (controller away) also shows the sign-in page, whose form reports the error.
        if (live) accept(null);
        if (!(err instanceof ApiError && err.status === 401)) console.warn('session check failed', err);
      });
    const stop = onSignedOut(() => accept(null));
    return () => {
      live = false;
      stop();
    };
  }, [accept]);

  // Live updates while signed in (api/live.ts); a new user gets a new stream, sign-out closes it.
  const signedInAs = user?.name;
  useEffect(() => (signedInAs === undefined ? undefined : startLiveUpdates(queries)), [signedInAs, queries]);

  const value = useMemo<SessionState>(
    () => ({
      user,
      signIn: async (name, password) => accept(await auth.signIn(name, password)),
      signOut: async () => {
        try {
          await auth.signOut();
        } finally {
          accept(null);
        }
      },
      can: (needed) => roleAllows(user?.role, needed),
    }),
    [user, accept],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
