// Per-project server state of issue 12's workflows and custom fields. Keys
// sit under ['w', slug, 'projects', id], so invalidating the projects also
// refreshes them.
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { findProject, useProjects, type Project } from './data';

export const projectKeys = {
  workflow: (slug: string, projectId: string) => ['w', slug, 'projects', projectId, 'workflow'] as const,
  fields: (slug: string, projectId: string) => ['w', slug, 'projects', projectId, 'fields'] as const,
};

/** The project's workflow: its statuses in order with categories, colours and transitions. */
export function useProjectWorkflow(slug: string, projectId: string | undefined) {
  return useQuery({
    queryKey: projectKeys.workflow(slug, projectId ?? ''),
    queryFn: () =>
      unwrap(api().GET('/v1/projects/{projectId}/workflow', { params: { path: { projectId: projectId! } } })),
    enabled: !!projectId,
    staleTime: 60_000,
  });
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
