// Cycles (sprints) through TanStack Query: keys under ['w', slug, 'cycles'].
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { Cycle } from '../../lib/cycles';
import { ownerKey, type CycleOwner } from '../../lib/cycleOwner';
import type { Issue } from '../workspace/data';

export const cycleKeys = {
  all: (slug: string) => ['w', slug, 'cycles'] as const,
  list: (slug: string, project: string) => ['w', slug, 'cycles', 'list', project] as const,
  one: (slug: string, id: string) => ['w', slug, 'cycles', 'one', id] as const,
  report: (slug: string, id: string) => ['w', slug, 'cycles', 'report', id] as const,
  issues: (slug: string, id: string) => ['w', slug, 'cycles', 'issues', id] as const,
  velocity: (slug: string, project: string) => ['w', slug, 'cycles', 'velocity', project] as const,
};

/** Every cycle of a project (at most 500 per owner: five pages). */
export function fetchProjectCycles(project: string): Promise<Cycle[]> {
  return fetchCycles({ project });
}

/** Every cycle of a project or a team (`?project=` or `?team=`). */
export async function fetchCycles(owner: { project: string } | { team: string }): Promise<Cycle[]> {
  const out: Cycle[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 10; i++) {
    const p = await unwrap(api().GET('/v1/cycles', { params: { query: { ...owner, limit: 100, cursor } } }));
    out.push(...p.items);
    if (!p.next_cursor) break;
    cursor = p.next_cursor;
  }
  return out;
}

/** A project's or a team's cycles; the key is the project's id or `team:<id>` (lib/cycleOwner). */
export function useOwnerCycles(slug: string, owner: CycleOwner | undefined) {
  return useQuery({
    queryKey: cycleKeys.list(slug, owner ? ownerKey(owner) : ''),
    queryFn: () => fetchCycles(owner!.query),
    enabled: !!owner,
  });
}

export function useCycle(slug: string, id: string) {
  return useQuery({
    queryKey: cycleKeys.one(slug, id),
    queryFn: () => unwrap(api().GET('/v1/cycles/{cycleId}', { params: { path: { cycleId: id } } })),
  });
}

export function useCycleReport(slug: string, id: string) {
  return useQuery({
    queryKey: cycleKeys.report(slug, id),
    queryFn: () => unwrap(api().GET('/v1/cycles/{cycleId}/report', { params: { path: { cycleId: id } } })),
  });
}

/** The issues planned in a cycle (every page: a cycle holds tens, rarely hundreds). */
export function useCycleIssues(slug: string, id: string) {
  return useQuery({
    queryKey: cycleKeys.issues(slug, id),
    queryFn: async () => {
      const out: Issue[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 20; i++) {
        const p = await unwrap(
          api().GET('/v1/cycles/{cycleId}/issues', {
            params: { path: { cycleId: id }, query: { limit: 100, cursor } },
          }),
        );
        out.push(...p.items);
        if (!p.next_cursor) break;
        cursor = p.next_cursor;
      }
      return out;
    },
  });
}

export function useVelocity(slug: string, owner: CycleOwner | undefined, cycles = 6) {
  return useQuery({
    queryKey: cycleKeys.velocity(slug, owner ? ownerKey(owner) : ''),
    queryFn: () =>
      unwrap(api().GET('/v1/cycles/velocity', { params: { query: { ...owner!.query, cycles } } })),
    enabled: !!owner,
  });
}

/** "23 Nov – 6 Dec 2026" for a cycle's days (calendar days, UTC). */
export function cycleDates(c: { starts_on: string; ends_on: string }): string {
  const f = (d: string, year: boolean) =>
    new Date(`${d}T00:00:00Z`).toLocaleDateString('en-GB', {
      day: 'numeric',
      month: 'short',
      ...(year ? { year: 'numeric' } : {}),
      timeZone: 'UTC',
    });
  const sameYear = c.starts_on.slice(0, 4) === c.ends_on.slice(0, 4);
  return `${f(c.starts_on, !sameYear)} – ${f(c.ends_on, true)}`;
}
