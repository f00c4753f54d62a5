import { useQueryClient } from '@tanstack/react-query';
import {
  BarChart3,
  CalendarRange,
  CircleUser,
  KanbanSquare,
  Bell,
  Keyboard,
  ListTodo,
  LogOut,
  Menu,
  Plus,
  Search,
  Settings,
  ShieldCheck,
  User,
  X,
} from 'lucide-react';
import { DropdownMenu } from 'radix-ui';
import { useEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { isApiError } from '../../api/problem';
import { onAuthFailure } from '../../auth/guard';
import { sessions, type Session } from '../../auth/session';
import { Logo } from '../../components/Logo';
import { isLogo } from '../../lib/logo';
import { Button, cx, ErrorState, Kbd, Spinner } from '../../components/ui';
import { brandVars } from '../../lib/color';
import { visiblePages } from '../../lib/permissions';
import { useShortcuts } from '../../lib/shortcuts';
import { Ctx, type WorkspaceCtx } from './context';
import { CreateIssueDialog } from './CreateIssue';
import { keys, useBranding, useMe } from './data';
import { NotificationBell } from './NotificationBell';
import { ShortcutHelp } from './ShortcutHelp';

/** The signed-in workspace: restores the session (or sends to sign-in and back), then the shell. */
export default function Layout() {
  const { slug = '' } = useParams();
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  const [session, setSession] = useState<Session | undefined>(() =>
    sessions.get()?.workspace.slug === slug ? sessions.get() : undefined,
  );
  const [checked, setChecked] = useState(!!session);
  // Set when the shell sends the user elsewhere (suspension page): ending the
  // session then must not also send them to sign-in.
  const leaving = useRef(false);
  const here = location.pathname + location.search;

  useEffect(() => {
    let live = true;
    if (!session && !leaving.current)
      void sessions.restore(slug).then((s) => {
        if (!live) return;
        if (s) setSession(s);
        else navigate(`/w/${slug}/signin?next=${encodeURIComponent(here)}`, { replace: true });
        setChecked(true);
      });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [slug, session]);

  useEffect(
    () =>
      sessions.subscribe((s) => !leaving.current && setSession(s?.workspace.slug === slug ? s : undefined)),
    [slug],
  );

  useEffect(
    () =>
      onAuthFailure((f) => {
        const path = window.location.pathname + window.location.search;
        // Leaving for the sign-in page: the restore effect must not answer the ended session with a
        // plain sign-in of its own (it raced this one, and a moved workspace lost its message).
        if (f === 'expired') {
          leaving.current = true;
          sessions.end();
          navigate(`/w/${slug}/signin?expired=1&next=${encodeURIComponent(path)}`, { replace: true });
        } else if (f === 'moved') {
          // The workspace signs in through another pool now: forget the
          // cached lookup (it names the old pool) and sign in again.
          leaving.current = true;
          sessions.end();
          queryClient.removeQueries({ queryKey: ['workspace', slug] });
          navigate(`/w/${slug}/signin?moved=1&next=${encodeURIComponent(path)}`, { replace: true });
        } else if (f === 'suspended') {
          leaving.current = true;
          sessions.end();
          navigate(`/w/${slug}/suspended`, { replace: true });
        } else if (f === 'mfa') {
          navigate(`/w/${slug}/account/security?required=1`);
        }
      }),
    [slug, navigate, queryClient],
  );

  if (!checked || !session)
    return (
      <div className="grid min-h-dvh place-items-center">
        <Spinner label="Opening your workspace" />
      </div>
    );
  return <Shell slug={slug} />;
}

function Shell({ slug }: { slug: string }) {
  const me = useMe(slug);
  const navigate = useNavigate();
  const location = useLocation();
  const qc = useQueryClient();
  const branding = useBranding(slug, me.isSuccess);
  const [createOpen, setCreateOpen] = useState<{ status?: string } | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [navOpen, setNavOpen] = useState(false);
  const [navPath, setNavPath] = useState(location.pathname);
  if (navPath !== location.pathname) {
    setNavPath(location.pathname); // a navigation closes the phone menu
    setNavOpen(false);
  }

  const b = branding.data ?? me.data?.tenant.branding;
  const name = (b && 'display_name' in b && b.display_name) || me.data?.tenant.name || slug;
  const style = useMemo(() => brandVars(b?.primary_color) as CSSProperties, [b?.primary_color]);
  useEffect(() => {
    document.title = `${name} · IssueTracker`;
  }, [name]);

  useShortcuts({
    c: () => setCreateOpen({}),
    '?': () => setHelpOpen(true),
    '/': () => {
      const el = document.getElementById('issue-search');
      if (el) el.focus();
      else navigate(`/w/${slug}/issues?focus=search`);
    },
    'g i': () => navigate(`/w/${slug}/issues`),
    'g b': () => navigate(`/w/${slug}/board`),
    'g m': () => navigate(`/w/${slug}/issues?assignee=me`),
  });

  if (me.isPending)
    return (
      <div className="grid min-h-dvh place-items-center">
        <Spinner label="Opening your workspace" />
      </div>
    );
  if (me.isError) {
    if (
      isApiError(me.error, 403, 'tenant_suspended') ||
      isApiError(me.error, 403, 'session_moved') ||
      isApiError(me.error, 401)
    )
      return null; // the guard navigates
    return <ErrorState error={me.error} onRetry={() => void me.refetch()} />;
  }

  const ctx: WorkspaceCtx = {
    slug,
    me: me.data,
    openCreate: (d) => setCreateOpen(d ?? {}),
    openHelp: () => setHelpOpen(true),
  };
  const signOut = async () => {
    await sessions.signOut();
    qc.removeQueries({ queryKey: keys.all(slug) });
    navigate(`/w/${slug}/signin?signedout=1`, { replace: true });
  };
  const logo = isLogo(b?.logo_url) ? b?.logo_url : undefined;
  const settings = visiblePages(me.data.user.role)[0]?.path;

  const nav = (
    <nav aria-label="Workspace" className="flex flex-col gap-0.5 text-sm">
      <NavItem to={`/w/${slug}/issues`} icon={<ListTodo className="size-4" aria-hidden />} end>
        Issues
      </NavItem>
      <NavItem
        to={`/w/${slug}/issues?assignee=me`}
        icon={<User className="size-4" aria-hidden />}
        matchSearch="assignee=me"
      >
        My issues
      </NavItem>
      <NavItem to={`/w/${slug}/board`} icon={<KanbanSquare className="size-4" aria-hidden />}>
        Board
      </NavItem>
      <NavItem to={`/w/${slug}/cycles`} icon={<CalendarRange className="size-4" aria-hidden />}>
        Cycles
      </NavItem>
      <NavItem to={`/w/${slug}/analytics`} icon={<BarChart3 className="size-4" aria-hidden />}>
        Analytics
      </NavItem>
      {settings && (
        <NavItem
          to={`/w/${slug}/settings/${settings}`}
          prefix={`/w/${slug}/settings`}
          icon={<Settings className="size-4" aria-hidden />}
        >
          Settings
        </NavItem>
      )}
    </nav>
  );

  return (
    <Ctx.Provider value={ctx}>
      <div style={style} className="flex h-dvh flex-col bg-canvas md:flex-row">
        <a
          href="#content"
          className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-2 focus:py-1"
        >
          Skip to content
        </a>
        {/* phone: top bar */}
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
          <span className="flex-1 truncate font-semibold">{name}</span>
          <NotificationBell slug={slug} />
          <Button variant="ghost" size="sm" aria-label="Create issue" onClick={() => setCreateOpen({})}>
            <Plus className="size-4" aria-hidden />
          </Button>
        </header>
        <aside
          className={cx(
            'z-30 w-60 shrink-0 flex-col gap-4 border-r border-line bg-panel p-3',
            navOpen ? 'fixed inset-y-0 left-0 flex shadow-xl' : 'hidden md:flex',
          )}
          aria-label="Sidebar"
        >
          <div className="flex items-center gap-2">
            {logo ? (
              <img src={logo} alt="" className="size-6 rounded" data-testid="workspace-logo" />
            ) : (
              <Logo />
            )}
            <span className="flex-1 truncate text-sm font-semibold" data-testid="workspace-name">
              {name}
            </span>
            {!navOpen && (
              <span className="hidden md:inline-flex">
                <NotificationBell slug={slug} />
              </span>
            )}
            {navOpen && (
              <Button
                variant="ghost"
                size="sm"
                aria-label="Close navigation"
                onClick={() => setNavOpen(false)}
              >
                <X className="size-4" aria-hidden />
              </Button>
            )}
          </div>
          <div className="flex gap-1">
            <Button
              variant="secondary"
              size="sm"
              className="flex-1 justify-start"
              onClick={() => setCreateOpen({})}
            >
              <Plus className="size-3.5" aria-hidden /> New issue <span className="flex-1" /> <Kbd>C</Kbd>
            </Button>
            <Button
              variant="secondary"
              size="sm"
              aria-label="Search issues"
              onClick={() => navigate(`/w/${slug}/issues?focus=search`)}
            >
              <Search className="size-3.5" aria-hidden />
            </Button>
          </div>
          {nav}
          <span className="flex-1" />
          <button
            type="button"
            onClick={() => setHelpOpen(true)}
            className="flex items-center gap-2 rounded-md px-2 py-1 text-xs text-muted hover:bg-white hover:text-ink"
          >
            <Keyboard className="size-3.5" aria-hidden /> Keyboard shortcuts <span className="flex-1" />{' '}
            <Kbd>?</Kbd>
          </button>
          <DropdownMenu.Root>
            <DropdownMenu.Trigger asChild>
              <button
                type="button"
                className="flex items-center gap-2 rounded-md px-2 py-1.5 text-left text-sm hover:bg-white"
                aria-label={`${me.data.user.display_name || me.data.user.email}: account menu`}
              >
                <CircleUser className="size-4 text-muted" aria-hidden />
                <span className="min-w-0 flex-1 truncate" data-testid="me-email">
                  {me.data.user.display_name || me.data.user.email}
                </span>
              </button>
            </DropdownMenu.Trigger>
            <DropdownMenu.Portal>
              <DropdownMenu.Content
                side="top"
                align="start"
                className="z-50 min-w-52 rounded-lg border border-line bg-white p-1 text-sm shadow-lg"
              >
                <DropdownMenu.Label className="px-2 py-1 text-xs text-muted">
                  {me.data.user.email} · {me.data.user.role.replace('_', ' ')}
                </DropdownMenu.Label>
                <DropdownMenu.Item
                  asChild
                  className="flex cursor-default items-center gap-2 rounded px-2 py-1.5 outline-none data-highlighted:bg-panel"
                >
                  <Link to={`/w/${slug}/account/security`}>
                    <ShieldCheck className="size-4" aria-hidden /> Two-factor authentication
                  </Link>
                </DropdownMenu.Item>
                <DropdownMenu.Item
                  asChild
                  className="flex cursor-default items-center gap-2 rounded px-2 py-1.5 outline-none data-highlighted:bg-panel"
                >
                  <Link to={`/w/${slug}/account/notifications`}>
                    <Bell className="size-4" aria-hidden /> Notification email
                  </Link>
                </DropdownMenu.Item>
                <DropdownMenu.Separator className="my-1 h-px bg-line" />
                <DropdownMenu.Item
                  onSelect={() => void signOut()}
                  className="flex cursor-default items-center gap-2 rounded px-2 py-1.5 outline-none data-highlighted:bg-panel"
                >
                  <LogOut className="size-4" aria-hidden /> Sign out
                </DropdownMenu.Item>
              </DropdownMenu.Content>
            </DropdownMenu.Portal>
          </DropdownMenu.Root>
        </aside>
        {navOpen && (
          <div
            className="fixed inset-0 z-20 bg-black/20 md:hidden"
            onClick={() => setNavOpen(false)}
            aria-hidden
          />
        )}
        <div id="content" className="flex min-h-0 min-w-0 flex-1 flex-col">
          <Outlet />
        </div>
      </div>
      <CreateIssueDialog
        open={createOpen !== null}
        defaults={createOpen ?? {}}
        onOpenChange={(o) => !o && setCreateOpen(null)}
      />
      <ShortcutHelp open={helpOpen} onOpenChange={setHelpOpen} />
    </Ctx.Provider>
  );
}

function NavItem({
  to,
  icon,
  children,
  end,
  matchSearch,
  prefix,
}: {
  to: string;
  icon: React.ReactNode;
  children: React.ReactNode;
  end?: boolean;
  matchSearch?: string;
  /** Active on every page under this path (a section whose link opens its first page). */
  prefix?: string;
}) {
  const loc = useLocation();
  const path = prefix ?? to.split('?')[0] ?? to;
  const active = matchSearch
    ? loc.pathname === path && loc.search.includes(matchSearch)
    : (end ? loc.pathname === path : loc.pathname.startsWith(path)) &&
      !(loc.search.includes('assignee=me') && end);
  return (
    <NavLink
      to={to}
      end={end}
      aria-current={active ? 'page' : undefined}
      className={cx(
        'flex items-center gap-2 rounded-md px-2 py-1.5',
        active ? 'bg-white font-medium text-ink shadow-sm' : 'text-muted hover:bg-white hover:text-ink',
      )}
    >
      {icon}
      {children}
    </NavLink>
  );
}
