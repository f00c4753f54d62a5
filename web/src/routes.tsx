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
          { path: 'views/:id', lazy: page(() => import('./pages/workspace/OpenView')) },
          { path: 'account/security', lazy: page(() => import('./pages/workspace/MFASetup')) },
          {
            path: 'account/notifications',
            lazy: page(() => import('./pages/workspace/NotificationSettings')),
          },
          { path: 'inbox', lazy: page(() => import('./pages/workspace/Inbox')) },
          { path: 'cycles', lazy: page(() => import('./pages/cycles/Cycles')) },
          { path: 'cycles/:id', lazy: page(() => import('./pages/cycles/Cycle')) },
          {
            path: 'settings',
            lazy: page(() => import('./pages/settings/Layout')),
            children: [
              { index: true, element: <Navigate to="people" replace /> },
              { path: 'people', lazy: page(() => import('./pages/settings/People')) },
              { path: 'teams', lazy: page(() => import('./pages/settings/Teams')) },
              { path: 'projects', lazy: page(() => import('./pages/settings/Projects')) },
              { path: 'workflows', lazy: page(() => import('./pages/settings/Workflows')) },
              { path: 'fields', lazy: page(() => import('./pages/settings/Fields')) },
              { path: 'labels', lazy: page(() => import('./pages/settings/Labels')) },
              { path: 'import', lazy: page(() => import('./pages/settings/Import')) },
              { path: 'branding', lazy: page(() => import('./pages/settings/Branding')) },
              { path: 'security', lazy: page(() => import('./pages/settings/Security')) },
              { path: 'usage', lazy: page(() => import('./pages/settings/Usage')) },
              { path: 'billing', lazy: page(() => import('./pages/settings/Billing')) },
              { path: 'audit', lazy: page(() => import('./pages/settings/Audit')) },
              { path: 'webhooks', lazy: page(() => import('./pages/settings/Webhooks')) },
              { path: '*', element: <NotFoundPage inWorkspace /> },
            ],
          },
          { path: 'analytics', element: <Navigate to="issues" replace /> },
          { path: 'analytics/:view', lazy: page(() => import('./pages/analytics/Analytics')) },
          // Later issues add here: settings/{fields,workflows}.
          { path: '*', element: <NotFoundPage inWorkspace /> },
        ],
      },
      // the provider console (Root, the provider pool)
      { path: '/admin/signin', lazy: page(() => import('./pages/admin/SignIn')) },
      {
        path: '/admin',
        lazy: page(() => import('./pages/admin/Layout')),
        children: [
          { index: true, element: <Navigate to="tenants" replace /> },
          { path: 'tenants', lazy: page(() => import('./pages/admin/Tenants')) },
          { path: 'tenants/:id', lazy: page(() => import('./pages/admin/Tenant')) },
          { path: 'approvals', lazy: page(() => import('./pages/admin/Approvals')) },
          { path: 'analytics', lazy: page(() => import('./pages/admin/Analytics')) },
          { path: 'health', lazy: page(() => import('./pages/admin/Health')) },
          { path: 'settings', lazy: page(() => import('./pages/admin/Settings')) },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];

export const router = createBrowserRouter(routes);
