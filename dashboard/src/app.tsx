/** The app: the sign-in page until there is a session, then the page the path names (or why it is not shown). */
import { Suspense } from 'react';
import { Layout } from './layout';
import { matchPath, useLocation } from './router';
import { ROUTES } from './routes';
import { useSession } from './session';
import { Loading } from './components/query-state';
import { PageTitle } from './components/page-title';
import { SignIn } from './pages/sign-in';

export function App() {
  const { user, can } = useSession();
  const { path } = useLocation();
  if (user === undefined) {
    return (
      <main id="main">
        <Loading what="your session" />
      </main>
    );
  }
  if (user === null) return <SignIn />;
  let body;
  const found = ROUTES.map((r) => ({ r, params: matchPath(r.path, path) })).find((m) => m.params !== null);
  if (!found) {
    body = (
      <>
        <PageTitle title="Not found">Page not found</PageTitle>
        <p>There is no page at {path}.</p>
      </>
    );
  } else if (!can(found.r.role)) {
    body = (
      <>
        <PageTitle title="Not allowed">Not allowed</PageTitle>
        <p>
          This page needs the {found.r.role} role; you are signed in as {user.role}.
        </p>
      </>
    );
  } else {
    const Page = found.r.page;
    body = (
      <Suspense fallback={<Loading what="the page" />}>
        <Page params={found.params ?? {}} />
      </Suspense>
    );
  }
  return <Layout>{body}</Layout>;
}
