// Cycles (sprints): the list's sections, and the API's cycle report and
// velocity as the flat rows the charts and their CSV files use.
import type { components } from '../api/schema';

type S = components['schemas'];
export type Cycle = S['Cycle'];
export type CycleReport = S['CycleReport'];
export type CycleVelocity = S['CycleVelocity'];
export type Tally = S['Tally'];
export type CycleDay = S['CycleDay'];

/** The unit a cycle's charts count in: story points when any issue is estimated, issues otherwise. */
export type Unit = 'points' | 'issues';

export const unitLabel = (u: Unit) => (u === 'points' ? 'points' : 'issues');

/** Points when any of the tallies has points, otherwise issues. */
export function unitOf(tallies: Tally[]): Unit {
  return tallies.some((t) => t.points > 0) ? 'points' : 'issues';
}

const of = (t: Tally, u: Unit) => (u === 'points' ? t.points : t.issues);

/** The list's sections: the active cycle(s), the upcoming ones (soonest first), the past ones (latest first). */
export function sections(cycles: Cycle[]): { current: Cycle[]; upcoming: Cycle[]; past: Cycle[] } {
  const by = (a: Cycle, b: Cycle) => a.starts_on.localeCompare(b.starts_on) || a.name.localeCompare(b.name);
  return {
    current: cycles.filter((c) => c.state === 'active').sort(by),
    upcoming: cycles.filter((c) => c.state === 'upcoming').sort(by),
    past: cycles
      .filter((c) => c.state === 'completed')
      .sort(by)
      .reverse(),
  };
}

export interface BurnUpRow {
  [k: string]: string | number | undefined;
  day: string;
  /** the cycle's scope on that day */
  scope: number;
  /** completed by the end of that day; undefined for a day still ahead */
  completed?: number;
}

/**
 * The burn-up of a cycle from its report's daily series: for each day from
 * the start to today (or the last day), the scope and the completed work at
 * the end of that day (the API computes it from the cycle's scope records),
 * and, for a cycle still running, its last day with today's scope as the
 * line to reach. An upcoming cycle is its planned scope at the start.
 */
export function burnUp(r: CycleReport, today: string): { unit: Unit; rows: BurnUpRow[] } {
  const daily = r.daily ?? [];
  const unit = unitOf([
    r.committed,
    r.scope,
    r.completed,
    r.added,
    r.removed,
    ...daily.flatMap((d) => [d.scope, d.completed]),
  ]);
  const c = r.cycle;
  if (c.state === 'upcoming' || today < c.starts_on || daily.length === 0)
    return { unit, rows: [{ day: c.starts_on, scope: of(r.scope, unit), completed: 0 }] };
  const rows: BurnUpRow[] = daily.map((d) => ({
    day: d.date,
    scope: of(d.scope, unit),
    completed: of(d.completed, unit),
  }));
  const last = rows[rows.length - 1]!;
  if (last.day < c.ends_on) rows.push({ day: c.ends_on, scope: last.scope });
  return { unit, rows };
}

export interface VelocityRow {
  [k: string]: string | number | undefined;
  cycle: string;
  ends_on: string;
  committed: number;
  scope: number;
  completed: number;
}

/** Velocity per cycle, oldest first (the API answers the latest first), in one unit for all cycles. */
export function velocitySeries(v: CycleVelocity): { unit: Unit; rows: VelocityRow[]; average: number } {
  const unit = unitOf(v.cycles.flatMap((r) => [r.committed, r.scope, r.completed]));
  const rows = [...v.cycles]
    .sort((a, b) => a.cycle.starts_on.localeCompare(b.cycle.starts_on))
    .map((r) => ({
      cycle: r.cycle.name,
      ends_on: r.cycle.ends_on,
      committed: of(r.committed, unit),
      scope: of(r.scope, unit),
      completed: of(r.completed, unit),
    }));
  return { unit, rows, average: unit === 'points' ? v.average_points : v.average_issues };
}

/** A cycle's progress: completed over scope, in whole percent (0 for an empty cycle). */
export function progress(r: CycleReport): { unit: Unit; done: number; total: number; pct: number } {
  const unit = unitOf([r.scope, r.completed]);
  const done = of(r.completed, unit);
  const total = of(r.scope, unit);
  return { unit, done, total, pct: total > 0 ? Math.round((done / total) * 100) : 0 };
}

/** Today as YYYY-MM-DD in UTC (cycles are calendar days in UTC). */
export function todayUTC(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}
