import { useInfiniteQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys, type Issue } from './data';

export const PAGE = 100;

/** Pages of issues for a list query: GET /v1/issues, or /v1/search when q is set. */
export function useIssueList(slug: string, query: Record<string, string>) {
  return useInfiniteQuery({
    queryKey: keys.issueList(slug, query),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }): Promise<{ items: Issue[]; next_cursor?: string }> => {
      if (query.q) {
        const r = await unwrap(
          api().GET('/v1/search', {
            params: { query: { ...query, q: query.q, limit: PAGE, cursor: pageParam } },
          }),
        );
        return { items: r.items.map((h) => h.issue), next_cursor: r.next_cursor };
      }
      return unwrap(
        api().GET('/v1/issues', { params: { query: { ...query, limit: PAGE, cursor: pageParam } } }),
      );
    },
    getNextPageParam: (last) => last.next_cursor || undefined,
  });
}
