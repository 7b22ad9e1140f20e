/** Sign-in: name and password against /api/v1/auth/sign-in (the controller sets the session cookie), or single sign-on when the controller offers it. */
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { auth } from '../api/endpoints';
import { ApiError } from '../api/client';
import { PageTitle } from '../components/page-title';
import { useSession } from '../session';

function message(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'That name and password do not match an account.';
    if (err.status === 429) return `Too many attempts: sign-in is locked for a while. ${err.message}`;
    return `Sign-in failed: ${err.message} (${err.code})`;
  }
  return `Sign-in failed: ${err instanceof Error ? err.message : String(err)}`;
}

export function SignIn() {
  const { signIn } = useSession();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Single sign-on, when the controller has an identity provider configured (GET /auth/oidc).
  const sso = useQuery({ queryKey: ['oidc'], queryFn: auth.oidc, retry: false });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(name.trim(), password);
    } catch (err) {
      setError(message(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="sign-in">
      <div className="card">
        <PageTitle title="Sign in">Sign in to Patchfleet</PageTitle>
        <form onSubmit={(e) => void submit(e)} aria-describedby={error ? 'sign-in-error' : undefined}>
          <div className="field">
            <label htmlFor="sign-in-name">Name</label>
            <input id="sign-in-name" name="username" autoComplete="username" required value={name} onChange={(e) => setName(e.target.value)} autoFocus />
          </div>
          <div className="field">
            <label htmlFor="sign-in-password">Password</label>
            <input id="sign-in-password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          </div>
          <div id="sign-in-error" aria-live="assertive">
            {error ? (
              <p className="note note-error" role="alert">
                {error}
              </p>
            ) : null}
          </div>
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        {sso.data?.enabled ? (
          <p className="sso">
            {/* A full-page navigation: the controller redirects to the identity provider and, signed in, back to /. */}
            <a href="/api/v1/auth/oidc/start">Sign in with {sso.data.name ?? 'single sign-on'}</a>
          </p>
        ) : null}
      </div>
    </main>
  );
}
