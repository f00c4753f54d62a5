// The page map (shared/WEB.md): URLs are part of the product. Each area is
// its own chunk, so the landing page does not load the workspace.
import { createBrowserRouter, Navigate, type RouteObject } from 'react-router';
import { NotFoundPage } from './pages/NotFound';
import { RouteError } from './pages/RouteError';

type Mod = { default: React.ComponentType };
const page = (load: () => Promise<Mod>) => async () => ({ Component: (await load()).default });

export const routes: RouteObject[] = [
  {
    errorElement: <RouteError />,
    HydrateFallback: () => null,
    children: [
      // marketing
      { path: '/', lazy: page(() => import('./pages/marketing/Landing')) },
      { path: '/pricing', lazy: page(() => import('./pages/marketing/Pricing')) },
      { path: '/signup', lazy: page(() => import('./pages/marketing/Signup')) },
      { path: '/signup/:slug/status', lazy: page(() => import('./pages/marketing/SignupStatus')) },
      // sign-in
      { path: '/signin', lazy: page(() => import('./pages/auth/FindWorkspace')) },
      { path: '/w/:slug/signin', lazy: page(() => import('./pages/auth/SignIn')) },
      { path: '/w/:slug/suspended', lazy: page(() => import('./pages/auth/Suspended')) },
      // workspace (members)
      {
        path: '/w/:slug',
        lazy: page(() => import('./pages/workspace/Layout')),
        children: [
          { index: true, element: <Navigate to="issues" replace /> },
          { path: 'issues', lazy: page(() => import('./pages/workspace/IssueList')) },
          { path: 'issues/:key', lazy: page(() => import('./pages/workspace/IssueDetail')) },
          { path: 'board', lazy: page(() => import('./pages/workspace/Board')) },
          { path: 'account/security', lazy: page(() => import('./pages/workspace/MFASetup')) },
          // Later issues add here: views/:id, inbox, projects, settings/*, analytics/*.
          { path: '*', element: <NotFoundPage inWorkspace /> },
        ],
      },
      // The provider console (/admin/...) comes in a later issue.
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];

export const router = createBrowserRouter(routes);
