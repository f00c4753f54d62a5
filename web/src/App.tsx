import { QueryCache, QueryClient, QueryClientProvider, MutationCache } from '@tanstack/react-query';
import { RouterProvider } from 'react-router';
import { setBaseSource, setTokenSource } from './api/client';
import { readRetryDelay, retryRead } from './api/problem';
import { providerSessions, sessions } from './auth/session';
import { authFailureOf, notifyAuthFailure } from './auth/guard';
import { router } from './routes';

// The provider console (/admin) calls the API as Root; every other page as the workspace's user.
setTokenSource(() => (window.location.pathname.startsWith('/admin') ? providerSessions : sessions).token());
// A workspace in another cell is called at that cell's API (docs/scale.md, "Cells").
setBaseSource(() =>
  window.location.pathname.startsWith('/admin') ? undefined : sessions.get()?.workspace.api_url,
);

function onError(e: unknown) {
  const f = authFailureOf(e);
  if (f) notifyAuthFailure(f);
}

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: true,
      retry: retryRead,
      retryDelay: readRetryDelay,
    },
  },
});

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
