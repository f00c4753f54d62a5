import { useQueryClient } from '@tanstack/react-query';
import { Activity, BarChart3, Building2, CircleUser, Inbox, LogOut, Menu, Settings, X } from 'lucide-react';
import { useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { onAuthFailure } from '../../auth/guard';
import { providerSessions, type Session } from '../../auth/session';
import { Logo } from '../../components/Logo';
import { Button, cx, ErrorState, scrollable, Spinner } from '../../components/ui';
import { adminKeys, useRootMe, useTenantPage } from './data';

/** The provider console: Root's session (the provider pool) or sign-in and back, then the shell. */
export default function AdminLayout() {
  const navigate = useNavigate();
  const location = useLocation();
  const [session, setSession] = useState<Session | undefined>(() => providerSessions.get());
  const [checked, setChecked] = useState(!!session);
  const here = location.pathname + location.search;

  useEffect(() => {
    let live = true;
    if (!session)
      void providerSessions.restore('admin').then((s) => {
        if (!live) return;
        if (s) setSession(s);
        else navigate(`/admin/signin?next=${encodeURIComponent(here)}`, { replace: true });
        setChecked(true);
      });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [session]);

  useEffect(() => providerSessions.subscribe(setSession), []);

  useEffect(
    () =>
      onAuthFailure((f) => {
        if (f !== 'expired') return;
        const path = window.location.pathname + window.location.search;
        providerSessions.end();
        navigate(`/admin/signin?expired=1&next=${encodeURIComponent(path)}`, { replace: true });
      }),
    [navigate],
  );

  useEffect(() => {
    document.title = 'Provider console · IssueTracker';
  }, []);

  if (!checked || !session)
    return (
      <div className="grid min-h-dvh place-items-center">
        <Spinner label="Opening the provider console" />
      </div>
    );
  return <Shell email={session.email} />;
}

function Shell({ email }: { email: string }) {
  const me = useRootMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const pending = useTenantPage({ status: 'pending_approval', limit: 100 });
  const [navOpen, setNavOpen] = useState(false);
  const [navPath, setNavPath] = useState(location.pathname);
  if (navPath !== location.pathname) {
    setNavPath(location.pathname);
    setNavOpen(false);
  }

  if (me.isPending)
    return (
      <div className="grid min-h-dvh place-items-center">
        <Spinner label="Opening the provider console" />
      </div>
    );
  if (me.isError) return <ErrorState error={me.error} onRetry={() => void me.refetch()} />;

  const signOut = async () => {
    await providerSessions.signOut();
    qc.removeQueries({ queryKey: adminKeys.all });
    navigate('/admin/signin?signedout=1', { replace: true });
  };
  const waiting = pending.data?.items.length ?? 0;

  return (
    <div className="flex h-dvh flex-col bg-canvas md:flex-row">
      <a
        href="#content"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-2 focus:py-1"
      >
        Skip to content
      </a>
      <header className="flex h-12 items-center gap-2 border-b border-line px-3 md:hidden">
        <Button
          variant="ghost"
          size="sm"
          aria-label="Open navigation"
          aria-expanded={navOpen}
          onClick={() => setNavOpen(true)}
        >
          <Menu className="size-4" aria-hidden />
        </Button>
        <span className="flex-1 truncate font-semibold">Provider console</span>
      </header>
      <aside
        aria-label="Sidebar"
        className={cx(
          'z-30 w-60 shrink-0 flex-col gap-4 border-r border-line bg-panel p-3',
          navOpen ? 'fixed inset-y-0 left-0 flex shadow-xl' : 'hidden md:flex',
        )}
      >
        <div className="flex items-center gap-2">
          <Logo />
          <span className="flex-1 truncate text-sm font-semibold">Provider console</span>
          {navOpen && (
            <Button variant="ghost" size="sm" aria-label="Close navigation" onClick={() => setNavOpen(false)}>
              <X className="size-4" aria-hidden />
            </Button>
          )}
        </div>
        <nav aria-label="Console" className="flex flex-col gap-0.5 text-sm">
          <Item to="/admin/tenants" icon={<Building2 className="size-4" aria-hidden />}>
            Tenants
          </Item>
          <Item to="/admin/approvals" icon={<Inbox className="size-4" aria-hidden />}>
            Approvals
            {waiting > 0 && (
              <span
                className="ml-auto rounded-full bg-brand px-1.5 text-2xs font-semibold text-brand-fg"
                aria-label={`${waiting} waiting`}
                data-testid="approvals-count"
              >
                {waiting}
              </span>
            )}
          </Item>
          <Item to="/admin/analytics" icon={<BarChart3 className="size-4" aria-hidden />}>
            Analytics
          </Item>
          <Item to="/admin/health" icon={<Activity className="size-4" aria-hidden />}>
            Health
          </Item>
          <Item to="/admin/settings" icon={<Settings className="size-4" aria-hidden />}>
            Settings
          </Item>
        </nav>
        <span className="flex-1" />
        <div className="flex items-center gap-2 px-2 text-sm">
          <CircleUser className="size-4 text-muted" aria-hidden />
          <span className="min-w-0 flex-1 truncate" data-testid="root-email">
            {me.data.user.email || email}
          </span>
          <Button variant="ghost" size="sm" aria-label="Sign out" onClick={() => void signOut()}>
            <LogOut className="size-4" aria-hidden />
          </Button>
        </div>
      </aside>
      {navOpen && (
        <div
          className="fixed inset-0 z-20 bg-black/20 md:hidden"
          onClick={() => setNavOpen(false)}
          aria-hidden
        />
      )}
      <div id="content" {...scrollable()} className="flex min-h-0 min-w-0 flex-1 flex-col overflow-y-auto">
        <Outlet />
      </div>
    </div>
  );
}

function Item({ to, icon, children }: { to: string; icon: React.ReactNode; children: React.ReactNode }) {
  return (
    <NavLink
      to={to}
      className={({ isActive }) =>
        cx(
          'flex items-center gap-2 rounded-md px-2 py-1.5',
          isActive ? 'bg-white font-medium text-ink shadow-sm' : 'text-muted hover:bg-white hover:text-ink',
        )
      }
    >
      {icon}
      {children}
    </NavLink>
  );
}
