// Server state of a workspace through TanStack Query. Every key starts with
// ['w', slug], so two workspaces never share a cache entry.
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api, unwrap, type components } from '../../api/client';

export type Me = components['schemas']['Me'];
export type User = components['schemas']['User'];
export type Team = components['schemas']['Team'];
export type Label = components['schemas']['Label'];
export type Issue = components['schemas']['Issue'];
export type Comment = components['schemas']['Comment'];
export type Project = components['schemas']['Project'];
export type View = components['schemas']['View'];

export const keys = {
  all: (slug: string) => ['w', slug] as const,
  me: (slug: string) => ['w', slug, 'me'] as const,
  users: (slug: string) => ['w', slug, 'users'] as const,
  teams: (slug: string) => ['w', slug, 'teams'] as const,
  labels: (slug: string) => ['w', slug, 'labels'] as const,
  workflow: (slug: string) => ['w', slug, 'workflow'] as const,
  branding: (slug: string) => ['w', slug, 'branding'] as const,
  projects: (slug: string) => ['w', slug, 'projects'] as const,
  views: (slug: string) => ['w', slug, 'views'] as const,
  issues: (slug: string) => ['w', slug, 'issues'] as const,
  issueList: (slug: string, q: Record<string, string>) => ['w', slug, 'issues', 'list', q] as const,
  issue: (slug: string, key: string) => ['w', slug, 'issues', 'one', key] as const,
  comments: (slug: string, id: string) => ['w', slug, 'comments', id] as const,
  activity: (slug: string, id: string) => ['w', slug, 'activity', id] as const,
  history: (slug: string, id: string) => ['w', slug, 'history', id] as const,
};

const LONG = 5 * 60_000;

export function useMe(slug: string, enabled = true) {
  return useQuery({
    queryKey: keys.me(slug),
    queryFn: () => unwrap(api().GET('/v1/me')),
    enabled,
    staleTime: LONG,
  });
}

/** Every page of a cursor list (directories are small: at most a few hundred entries). */
async function all<T>(
  fetchPage: (cursor?: string) => Promise<{ items: T[]; next_cursor?: string }>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 50; i++) {
    const p = await fetchPage(cursor);
    out.push(...p.items);
    if (!p.next_cursor) break;
    cursor = p.next_cursor;
  }
  return out;
}

export function useUsers(slug: string) {
  return useQuery({
    queryKey: keys.users(slug),
    queryFn: () =>
      all((cursor) => unwrap(api().GET('/v1/users', { params: { query: { limit: 100, cursor } } }))),
    staleTime: LONG,
  });
}

export function useTeams(slug: string) {
  return useQuery({
    queryKey: keys.teams(slug),
    queryFn: () =>
      all((cursor) => unwrap(api().GET('/v1/teams', { params: { query: { limit: 100, cursor } } }))),
    staleTime: LONG,
  });
}

export function useLabels(slug: string) {
  return useQuery({
    queryKey: keys.labels(slug),
    queryFn: async () => (await unwrap(api().GET('/v1/labels'))).items,
    staleTime: LONG,
  });
}

export function useProjects(slug: string) {
  return useQuery({
    queryKey: keys.projects(slug),
    queryFn: async () => (await unwrap(api().GET('/v1/projects'))).items,
    staleTime: LONG,
  });
}

/** The caller's private views and the workspace's shared ones. */
export function useViews(slug: string) {
  return useQuery({
    queryKey: keys.views(slug),
    queryFn: async () => (await unwrap(api().GET('/v1/views'))).items,
  });
}

/** The project a key, former key or id names. */
export function findProject(projects: Project[] | undefined, ref: string): Project | undefined {
  const r = ref.toUpperCase();
  return projects?.find((p) => p.id === ref || p.key === r || p.former_keys.includes(r));
}

export function useWorkflow(slug: string) {
  return useQuery({
    queryKey: keys.workflow(slug),
    queryFn: () => unwrap(api().GET('/v1/workflow')),
    staleTime: Infinity,
  });
}

export function useBranding(slug: string, enabled = true) {
  return useQuery({
    queryKey: keys.branding(slug),
    queryFn: () => unwrap(api().GET('/v1/branding')),
    enabled,
    staleTime: LONG,
  });
}

/** Look-ups by id for rendering names. */
export function useDirectory(slug: string) {
  const users = useUsers(slug);
  const teams = useTeams(slug);
  const labels = useLabels(slug);
  return useMemo(() => {
    const u = new Map((users.data ?? []).map((x) => [x.id, x]));
    const t = new Map((teams.data ?? []).map((x) => [x.id, x]));
    const l = new Map((labels.data ?? []).map((x) => [x.id, x]));
    return {
      users: users.data ?? [],
      teams: teams.data ?? [],
      labels: labels.data ?? [],
      user: (id?: string) => (id ? u.get(id) : undefined),
      team: (id?: string) => (id ? t.get(id) : undefined),
      label: (id: string) => l.get(id),
      userName: (id?: string) => {
        if (!id) return 'Unassigned';
        const x = u.get(id);
        return x ? x.display_name || x.email : 'Former member';
      },
    };
  }, [users.data, teams.data, labels.data]);
}

export type Directory = ReturnType<typeof useDirectory>;
