// Per-project server state of issue 12's workflows and custom fields. Keys
// sit under ['w', slug, 'projects', id], so invalidating the projects also
// refreshes them.
import { useQueries, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { Workflow } from '../../lib/workflow';
import { api, unwrap } from '../../api/client';
import { findProject, useProjects, type Project } from './data';

export const projectKeys = {
  workflow: (slug: string, projectId: string) => ['w', slug, 'projects', projectId, 'workflow'] as const,
  fields: (slug: string, projectId: string) => ['w', slug, 'projects', projectId, 'fields'] as const,
};

const fetchWorkflow = (projectId: string) =>
  unwrap(api().GET('/v1/projects/{projectId}/workflow', { params: { path: { projectId } } }));

/** The project's workflow: its statuses in order with categories, colours and transitions. */
export function useProjectWorkflow(slug: string, projectId: string | undefined) {
  return useQuery({
    queryKey: projectKeys.workflow(slug, projectId ?? ''),
    queryFn: () => fetchWorkflow(projectId!),
    enabled: !!projectId,
    staleTime: 60_000,
  });
}

/** The workflows of several projects (an "All projects" list, a selection across projects), each
 * cached under its project like useProjectWorkflow's. `of(id)` is undefined while one loads. */
export function useProjectWorkflows(slug: string, projectIds: readonly string[]) {
  const ids = useMemo(() => [...new Set(projectIds)].sort(), [projectIds]);
  const qs = useQueries({
    queries: ids.map((id) => ({
      queryKey: projectKeys.workflow(slug, id),
      queryFn: () => fetchWorkflow(id),
      staleTime: 60_000,
    })),
  });
  const data = qs.map((q) => q.data);
  const dataKey = data.map((d) => d?.version ?? -1).join(',');
  return useMemo(() => {
    const m = new Map<string, Workflow>();
    ids.forEach((id, i) => data[i] && m.set(id, data[i]));
    return { ids, of: (id: string) => m.get(id), all: [...m.values()] };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ids, dataKey]);
}

/** The project's custom fields, oldest first. */
export function useFields(slug: string, projectId: string | undefined) {
  return useQuery({
    queryKey: projectKeys.fields(slug, projectId ?? ''),
    queryFn: async () =>
      (
        await unwrap(
          api().GET('/v1/projects/{projectId}/fields', { params: { path: { projectId: projectId! } } }),
        )
      ).items,
    enabled: !!projectId,
    staleTime: 60_000,
  });
}

/** The project a page works on: `?project=` (key, former key or id) or the first active project. */
export function pickProject(projects: Project[] | undefined, ref: string | null): Project | undefined {
  if (ref) return findProject(projects, ref);
  return projects?.find((p) => !p.archived) ?? projects?.[0];
}

export function useProject(slug: string, ref: string | null) {
  const projects = useProjects(slug);
  return { projects, project: pickProject(projects.data, ref) };
}
