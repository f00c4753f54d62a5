// Cycles belong to a project or a team (internal/cycle: exactly one owner). The cycles page shows one
// owner's cycles, named in its URL: `?project=WEB` (a key, former key or id) or `?team=<id>`.

interface P {
  id: string;
  key: string;
  former_keys: string[];
  name: string;
  archived: boolean;
}
interface T {
  id: string;
  name: string;
}

export type CycleOwner<PP extends P = P, TT extends T = T> =
  | { kind: 'project'; project: PP; id: string; name: string; query: { project: string }; pick: string }
  | { kind: 'team'; team: TT; id: string; name: string; query: { team: string }; pick: string };

/** The owner a cycles URL names; without one (or naming none that exists) the first active project.
 * `pick` is the owner's value in the page's picker (a project key, or `team:<id>`). */
export function cycleOwner<PP extends P, TT extends T>(
  params: URLSearchParams,
  projects: PP[] | undefined,
  teams: TT[] | undefined,
): CycleOwner<PP, TT> | undefined {
  const teamId = params.get('team');
  if (teamId) {
    const team = teams?.find((t) => t.id === teamId);
    if (team)
      return {
        kind: 'team',
        team,
        id: team.id,
        name: team.name,
        query: { team: team.id },
        pick: `team:${team.id}`,
      };
  }
  const ref = (params.get('project') ?? '').toUpperCase();
  const project =
    (ref &&
      projects?.find(
        (p) => p.id === params.get('project') || p.key === ref || p.former_keys.includes(ref),
      )) ||
    projects?.find((p) => !p.archived);
  if (!project) return undefined;
  return {
    kind: 'project',
    project,
    id: project.id,
    name: project.name,
    query: { project: project.id },
    pick: project.key,
  };
}

/** The URL query of a picker value: a project key, or `team:<id>`. */
export function ownerParams(pick: string): Record<string, string> {
  return pick.startsWith('team:') ? { team: pick.slice(5) } : { project: pick };
}

/** The query key part of an owner's cycles (a project's id, `team:<id>`), shared with the bulk bar's. */
export function ownerKey(o: { kind: 'project' | 'team'; id: string }): string {
  return o.kind === 'team' ? `team:${o.id}` : o.id;
}

/** Two weeks from the day after the owner's last cycle (or from today), named after its number. */
export function nextCycle(
  last: { ends_on: string } | undefined,
  n: number,
  today = new Date(),
): { name: string; starts_on: string; ends_on: string } {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const start = last ? new Date(`${last.ends_on}T00:00:00Z`) : new Date(today);
  if (last) start.setUTCDate(start.getUTCDate() + 1);
  const end = new Date(start);
  end.setUTCDate(end.getUTCDate() + 13);
  return { name: `Cycle ${n}`, starts_on: day(start), ends_on: day(end) };
}
