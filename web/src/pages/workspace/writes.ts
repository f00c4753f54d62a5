// Issue writes: optimistic in the cache, sent with If-Match (the issue's
// ETag). On 412 the optimistic change is rolled back, the issue as it now
// is replaces the stale copy, and the conflict (what the other person
// changed, whether it clashes with ours) is handed to the UI, which lets the
// user reapply their change on top.
import { useQueryClient, type InfiniteData, type QueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { api, etag, unwrap } from '../../api/client';
import { isApiError } from '../../api/problem';
import { applyPatch, conflict, type Conflict, type IssuePatch } from '../../lib/conflict';
import { keys, type Issue } from './data';

export type Change = { kind: 'patch'; patch: IssuePatch } | { kind: 'transition'; to: string };

export interface PendingConflict extends Conflict {
  mine: Change;
  base: Issue;
  latest: Issue;
}

type ListPage = { items: Issue[]; next_cursor?: string };

function optimistic(i: Issue, c: Change): Issue {
  return c.kind === 'patch' ? applyPatch(i, c.patch) : { ...i, status: c.to as Issue['status'] };
}

/** Puts an issue's new state everywhere the cache holds it (detail and every list page). */
export function putIssue(qc: QueryClient, slug: string, i: Issue) {
  qc.setQueryData(keys.issue(slug, i.key), i);
  qc.setQueriesData<InfiniteData<ListPage>>({ queryKey: [...keys.issues(slug), 'list'] }, (d) =>
    d
      ? { ...d, pages: d.pages.map((p) => ({ ...p, items: p.items.map((x) => (x.id === i.id ? i : x)) })) }
      : d,
  );
}

async function send(i: Issue, c: Change, version = i.version): Promise<Issue> {
  const headers = { 'If-Match': etag(version) };
  if (c.kind === 'patch') {
    return unwrap(
      api().PATCH('/v1/issues/{issueId}', {
        params: { path: { issueId: i.id }, header: headers },
        body: c.patch,
        headers: { 'Content-Type': 'application/merge-patch+json' },
      }),
    );
  }
  return unwrap(
    api().POST('/v1/issues/{issueId}/transitions', {
      params: { path: { issueId: i.id }, header: headers },
      body: { to: c.to as Issue['status'] },
    }),
  );
}

export function useIssueWrites(slug: string) {
  const qc = useQueryClient();
  const [pending, setPending] = useState<PendingConflict | undefined>();

  const write = useCallback(
    async (base: Issue, change: Change): Promise<Issue | undefined> => {
      putIssue(qc, slug, optimistic(base, change));
      try {
        const saved = await send(base, change);
        putIssue(qc, slug, saved);
        void qc.invalidateQueries({ queryKey: keys.issues(slug), refetchType: 'none' });
        void qc.invalidateQueries({ queryKey: keys.activity(slug, base.id) });
        void qc.invalidateQueries({ queryKey: keys.history(slug, base.id) });
        return saved;
      } catch (e) {
        putIssue(qc, slug, base); // roll back
        if (isApiError(e, 412)) {
          const latest = await unwrap(
            api().GET('/v1/issues/{issueId}', { params: { path: { issueId: base.id } } }),
          );
          putIssue(qc, slug, latest);
          const mineFields: IssuePatch =
            change.kind === 'patch' ? change.patch : ({ status: change.to } as IssuePatch);
          setPending({ ...conflict(base, latest, mineFields), mine: change, base, latest });
          return undefined;
        }
        throw e;
      }
    },
    [qc, slug],
  );

  /** Sends the user's change again on top of the latest version. */
  const reapply = useCallback(async () => {
    if (!pending) return;
    setPending(undefined);
    await write(pending.latest, pending.mine);
  }, [pending, write]);

  return { write, pending, reapply, dismiss: () => setPending(undefined) };
}
