import { ShieldX } from 'lucide-react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { cx, EmptyState, scrollable } from '../../components/ui';
import { canSee, SETTINGS_PAGES, visiblePages, type SettingsPage } from '../../lib/permissions';
import { useWorkspaceCtx } from '../workspace/context';

const NEEDS = { admin: 'an Admin or Super Admin', super_admin: 'a Super Admin', user: 'a member' };

/** The workspace's settings: only the pages the caller's role may use are listed, and a page opened by
 * URL without the role says so (the API refuses its calls all the same). */
export default function SettingsLayout() {
  const { slug, me } = useWorkspaceCtx();
  const { pathname } = useLocation();
  const role = me.user.role;
  const current = SETTINGS_PAGES.find((p) => pathname.startsWith(`/w/${slug}/settings/${p.path}`));
  const pages = visiblePages(role);
  const allowed = !current || canSee(role, current.path as SettingsPage);
  return (
    <div className="flex min-h-0 flex-1 flex-col md:flex-row">
      {pages.length > 0 && (
        <nav
          aria-label="Settings"
          className="flex shrink-0 gap-1 overflow-x-auto border-b border-line px-3 py-2 text-sm md:w-48 md:flex-col md:border-r md:border-b-0 md:py-4"
        >
          <h2 className="hidden px-2 pb-1 text-xs font-semibold text-muted md:block">Settings</h2>
          {pages.map((p) => (
            <NavLink
              key={p.path}
              to={`/w/${slug}/settings/${p.path}`}
              className={({ isActive }) =>
                cx(
                  'rounded-md px-2 py-1.5 whitespace-nowrap',
                  isActive ? 'bg-panel font-medium text-ink' : 'text-muted hover:bg-panel hover:text-ink',
                )
              }
            >
              {p.label}
            </NavLink>
          ))}
        </nav>
      )}
      <div {...scrollable()} className="min-h-0 min-w-0 flex-1 overflow-y-auto">
        {allowed && pages.length > 0 ? (
          <Outlet />
        ) : (
          <div data-testid="forbidden">
            <EmptyState icon={<ShieldX className="size-6" />} title="You cannot open this page">
              {current
                ? `${current.label} is for ${NEEDS[current.needs]} of the workspace.`
                : 'Workspace settings are for Admins and Super Admins.'}{' '}
              Ask a Super Admin if you need it.
            </EmptyState>
          </div>
        )}
      </div>
    </div>
  );
}
