// The caller's inbox (watchers' notifications, internal/notify) and email
// preferences. The unread count is polled: notifications are produced from
// the change stream, a second or two after the change that causes them.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type components } from '../../api/client';

export type Notification = components['schemas']['Notification'];
export type Preferences = components['schemas']['Preferences'];
export type NotificationKind = Notification['kind'];
export type EmailMode = 'immediately' | 'daily' | 'off';

export const notificationKeys = {
  all: (slug: string) => ['w', slug, 'notifications'] as const,
  unread: (slug: string) => ['w', slug, 'notifications', 'unread'] as const,
  list: (slug: string, unreadOnly: boolean) => ['w', slug, 'notifications', 'list', unreadOnly] as const,
  prefs: (slug: string) => ['w', slug, 'notifications', 'prefs'] as const,
};

/** How often the bell asks again (and again when the window regains focus). */
export const UNREAD_POLL_MS = 15_000;

export function useUnreadCount(slug: string) {
  return useQuery({
    queryKey: notificationKeys.unread(slug),
    queryFn: () => unwrap(api().GET('/v1/notifications/unread-count')),
    refetchInterval: UNREAD_POLL_MS,
    refetchOnWindowFocus: true,
  });
}

/** One page of the inbox, newest first; more with the cursor. */
export function useInbox(slug: string, unreadOnly: boolean, cursor?: string) {
  return useQuery({
    queryKey: [...notificationKeys.list(slug, unreadOnly), cursor ?? ''],
    queryFn: () =>
      unwrap(
        api().GET('/v1/notifications', {
          params: { query: { limit: 50, cursor, unread: unreadOnly ? 'true' : undefined } },
        }),
      ),
  });
}

/** Mark one notification read, or all of them (id undefined); the count and lists reload. */
export function useMarkRead(slug: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id?: string): Promise<void> => {
      if (id)
        await unwrap(
          api().POST('/v1/notifications/{notificationId}/read', { params: { path: { notificationId: id } } }),
        );
      else await unwrap(api().POST('/v1/notifications/read-all'));
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: notificationKeys.all(slug) }),
  });
}

export function usePreferences(slug: string) {
  return useQuery({
    queryKey: notificationKeys.prefs(slug),
    queryFn: () => unwrap(api().GET('/v1/notifications/preferences')),
  });
}

/** The kinds of notification, in the order the preferences page lists them. */
export const KINDS: { kind: NotificationKind; label: string; hint: string }[] = [
  { kind: 'mentioned', label: 'Mentions', hint: 'Someone @mentions you in an issue or comment' },
  { kind: 'assigned', label: 'Assignments', hint: 'An issue is assigned to you or your team' },
  { kind: 'commented', label: 'Comments', hint: 'A comment on an issue you watch' },
  { kind: 'status_changed', label: 'Status changes', hint: 'An issue you watch moves to another status' },
  { kind: 'updated', label: 'Other changes', hint: 'Other edits of an issue you watch' },
];

export const MODES: { mode: EmailMode; label: string }[] = [
  { mode: 'immediately', label: 'Immediately' },
  { mode: 'daily', label: 'Daily digest' },
  { mode: 'off', label: 'Off' },
];

/** The bell's badge text: the count, capped. */
export function badgeText(n: number): string {
  return n > 99 ? '99+' : String(n);
}
