import { Bell } from 'lucide-react';
import { Link } from 'react-router';
import { cx } from '../../components/ui';
import { badgeText, useUnreadCount } from './notifications';

/** The inbox link with the unread count (polled); the count is part of the link's name. */
export function NotificationBell({ slug, className }: { slug: string; className?: string }) {
  const unread = useUnreadCount(slug);
  const n = unread.data?.unread ?? 0;
  return (
    <Link
      to={`/w/${slug}/inbox`}
      aria-label={n > 0 ? `Inbox, ${n} unread` : 'Inbox'}
      data-testid="inbox-bell"
      className={cx(
        'relative inline-flex size-7 items-center justify-center rounded-md text-muted hover:bg-white hover:text-ink',
        className,
      )}
    >
      <Bell className="size-4" aria-hidden />
      {n > 0 && (
        <span
          aria-hidden
          data-testid="unread-badge"
          className="absolute -top-0.5 -right-0.5 min-w-4 rounded-full bg-red-700 px-1 text-center text-[0.625rem] leading-4 font-semibold text-white"
        >
          {badgeText(n)}
        </span>
      )}
    </Link>
  );
}
