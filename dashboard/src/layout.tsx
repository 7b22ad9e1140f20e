/** The frame around every page: a skip link, the banner with navigation and the user, the main landmark. */
import { useEffect, useRef, type ReactNode } from 'react';
import { Link, useLocation } from './router';
import { ROUTES } from './routes';
import { useSession } from './session';

export function Layout({ children }: { children: ReactNode }) {
  const { user, can, signOut } = useSession();
  const { path } = useLocation();
  const section = `/${path.split('/')[1] ?? ''}`;
  // After moving to another page, focus goes to its content (as a page load would put it at the top), not a stale link.
  const main = useRef<HTMLElement>(null);
  const shown = useRef<string | null>(null);
  useEffect(() => {
    if (shown.current !== null && shown.current !== path) main.current?.focus();
    shown.current = path;
  }, [path]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="banner">
        <Link to="/" className="brand">
          Patchfleet
        </Link>
        <nav aria-label="Main">
          <ul>
            {ROUTES.filter((r) => r.nav && can(r.role)).map((r) => (
              <li key={r.path}>
                <Link to={r.path} aria-current={section === r.path ? 'page' : undefined}>
                  {r.nav}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        {user ? (
          <div className="who">
            <Link to="/account" className="who-name">
              {user.name} <span className="muted">({user.role})</span>
            </Link>
            <button type="button" className="button-quiet" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        ) : null}
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        {children}
      </main>
    </>
  );
}
