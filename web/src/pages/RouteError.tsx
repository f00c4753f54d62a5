import { isRouteErrorResponse, Link, useRouteError } from 'react-router';
import { NotFoundPage } from './NotFound';

export function RouteError() {
  const e = useRouteError();
  if (isRouteErrorResponse(e) && e.status === 404) return <NotFoundPage />;
  // A deploy replaced the hashed chunks this tab knew: reload once.
  if (e instanceof TypeError && /dynamically imported module|Importing a module script/i.test(e.message)) {
    if (!sessionStorage.getItem('itr.reloaded')) {
      sessionStorage.setItem('itr.reloaded', '1');
      location.reload();
      return null;
    }
  }
  return (
    <main role="alert" className="mx-auto max-w-md px-4 py-24 text-center">
      <h1 className="mb-2 text-base font-semibold">Something went wrong</h1>
      <p className="mb-4 text-sm text-muted">
        An unexpected error stopped this page. Reloading usually helps.
      </p>
      <Link to="/" className="text-sm font-medium text-brand hover:underline">
        Go home
      </Link>
    </main>
  );
}
