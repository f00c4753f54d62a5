import { formatDistanceToNow } from 'date-fns';
import { AtSign, Bell, CheckCheck, MessageSquare, MoveRight, Pencil, UserPlus } from 'lucide-react';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { errorMessage } from '../../api/problem';
import { PageHeader } from '../../components/page';
import { Banner, Button, cx, EmptyState, ErrorState, Skeleton } from '../../components/ui';
import { useWorkspaceCtx } from './context';
import { useInbox, useMarkRead, useUnreadCount, type Notification } from './notifications';

const ICON: Record<Notification['kind'], typeof Bell> = {
  mentioned: AtSign,
  assigned: UserPlus,
  commented: MessageSquare,
  status_changed: MoveRight,
  updated: Pencil,
};

/** The caller's notifications, newest first: `?unread=1` shows unread ones only. Opening one marks it read. */
export default function Inbox() {
  const { slug } = useWorkspaceCtx();
  const [params, setParams] = useSearchParams();
  const unreadOnly = params.get('unread') === '1';
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const page = useInbox(slug, unreadOnly, cursor);
  const count = useUnreadCount(slug);
  const mark = useMarkRead(slug);
  const unread = count.data?.unread ?? 0;
  const show = (u: boolean) => {
    setCursors([]);
    setParams(u ? { unread: '1' } : {});
  };
  return (
    <main aria-labelledby="page-title" className="min-h-0 flex-1 overflow-y-auto">
      <PageHeader
        title={<span id="page-title">Inbox</span>}
        description={unread > 0 ? `${unread} unread` : 'You are all caught up.'}
        actions={
          <>
            <div
              role="group"
              aria-label="Show"
              className="inline-flex rounded-md border border-line bg-white p-0.5"
            >
              {[
                { u: false, label: 'All' },
                { u: true, label: 'Unread' },
              ].map(({ u, label }) => (
                <button
                  key={label}
                  type="button"
                  aria-pressed={unreadOnly === u}
                  onClick={() => show(u)}
                  className="rounded px-2 py-0.5 text-xs text-muted aria-pressed:bg-panel aria-pressed:font-medium aria-pressed:text-ink"
                >
                  {label}
                </button>
              ))}
            </div>
            <Button
              size="sm"
              disabled={unread === 0}
              busy={mark.isPending && mark.variables === undefined}
              onClick={() => mark.mutate(undefined)}
            >
              <CheckCheck className="size-3.5" aria-hidden /> Mark all read
            </Button>
          </>
        }
      />
      <div className="p-4 sm:px-6">
        {mark.isError && <Banner tone="error">{errorMessage(mark.error)}</Banner>}
        {page.isPending ? (
          <Skeleton />
        ) : page.isError ? (
          <ErrorState error={page.error} onRetry={() => void page.refetch()} />
        ) : page.data.items.length === 0 ? (
          <EmptyState
            icon={<Bell className="size-6" />}
            title={unreadOnly ? 'Nothing unread' : 'No notifications yet'}
          >
            Mentions, assignments and changes to issues you watch show up here.
          </EmptyState>
        ) : (
          <>
            <ul
              aria-label="Notifications"
              className="divide-y divide-line rounded-lg border border-line bg-white"
            >
              {page.data.items.map((n) => (
                <Item key={n.id} n={n} slug={slug} onRead={() => mark.mutate(n.id)} />
              ))}
            </ul>
            <div className="mt-3 flex gap-2">
              {cursors.length > 0 && (
                <Button size="sm" onClick={() => setCursors((c) => c.slice(0, -1))}>
                  Newer
                </Button>
              )}
              {page.data.next_cursor && (
                <Button size="sm" onClick={() => setCursors((c) => [...c, page.data.next_cursor!])}>
                  Older
                </Button>
              )}
            </div>
          </>
        )}
      </div>
    </main>
  );
}

function Item({ n, slug, onRead }: { n: Notification; slug: string; onRead: () => void }) {
  const Icon = ICON[n.kind] ?? Bell;
  return (
    <li
      data-testid="notification"
      data-read={n.read}
      className={cx('flex items-start gap-3 px-3 py-2.5', !n.read && 'bg-blue-50/40')}
    >
      <Icon className={cx('mt-0.5 size-4 shrink-0', n.read ? 'text-faint' : 'text-brand')} aria-hidden />
      <div className="min-w-0 flex-1">
        <Link
          to={`/w/${slug}/issues/${n.issue_key}`}
          onClick={() => !n.read && onRead()}
          className="block text-sm hover:underline"
        >
          {!n.read && <span className="sr-only">Unread: </span>}
          <span className={cx(!n.read && 'font-semibold')}>{n.summary}</span>
          <span className="text-muted">
            {' '}
            · <span className="font-mono text-xs">{n.issue_key}</span> {n.issue_title}
          </span>
        </Link>
        {n.excerpt && <p className="mt-0.5 line-clamp-2 text-xs text-muted">{n.excerpt}</p>}
        <time dateTime={n.at} className="text-2xs text-muted" title={new Date(n.at).toLocaleString()}>
          {formatDistanceToNow(new Date(n.at), { addSuffix: true })}
        </time>
      </div>
      {!n.read && (
        <Button size="sm" variant="ghost" onClick={onRead}>
          Mark read<span className="sr-only">: {n.summary}</span>
        </Button>
      )}
    </li>
  );
}
