// Saved views (GET/POST /v1/views) <-> the issue list's URL filters, and the
// list's grouping. A view stores the list's API query (filter), sort, order,
// grouping and columns; the list keeps the same things in its query string.
import { addDays, format } from 'date-fns';
import type { components } from '../api/client';
import {
  COLUMNS,
  emptyFilters,
  GROUPINGS,
  parseFilters,
  PRIORITIES,
  SORTS,
  STATUSES,
  TYPES,
  type Column,
  type Grouping,
  type IssueFilters,
} from './filters';

export type View = components['schemas']['View'];
export type ViewInput = components['schemas']['Input'];
type Issue = components['schemas']['Issue'];

const LISTS = ['status', 'assignee', 'team', 'priority', 'type', 'label', 'project'] as const;

/** The body of POST /v1/views (or PATCH) saving these filters. The search words are not part of a view
 * (the API's view filter is the list's, not the search's); a relative due filter is saved as its date. */
export function viewInput(f: IssueFilters, today = new Date()): ViewInput {
  const filter: Record<string, string> = {};
  for (const k of LISTS) if (f[k].length) filter[k] = f[k].join(',');
  const day = (d: Date) => format(d, 'yyyy-MM-dd');
  if (f.due === 'overdue') filter.overdue = 'true';
  if (f.due === 'today') filter.due_before = day(today);
  if (f.due === 'week') filter.due_before = day(addDays(today, 7));
  return {
    filter,
    sort: f.sort,
    order: f.order,
    group_by: f.group,
    columns: f.columns.length ? [...f.columns] : ['key', 'title'],
  };
}

/** The list filters a view stands for (what the list can show of it; other API filters are left out). */
export function filtersFromView(v: View): IssueFilters {
  const p = new URLSearchParams();
  for (const k of LISTS) if (v.filter[k]) p.set(k, v.filter[k]);
  const f = parseFilters(p);
  return {
    ...f,
    due: v.filter.overdue === 'true' ? 'overdue' : undefined,
    sort: SORTS.find((s) => s === v.sort) ?? emptyFilters.sort,
    order: v.order === 'asc' ? 'asc' : 'desc',
    group: GROUPINGS.find((g) => g === v.group_by) ?? 'none',
    columns: v.columns.filter((c): c is Column => (COLUMNS as readonly string[]).includes(c)),
  };
}

/** A view's filters that the list cannot show (e.g. a fixed due date), by name: the page says so. */
export function unshownFilters(v: View): string[] {
  return Object.keys(v.filter).filter((k) => !(LISTS as readonly string[]).includes(k) && k !== 'overdue');
}

export interface Group {
  key: string;
  label: string;
  issues: Issue[];
}

export interface Names {
  user: (id?: string) => string;
  team: (id?: string) => string;
  label: (id: string) => string;
  /** the statuses in order (the workflows of the projects listed); the default workflow's without */
  statusOrder?: readonly string[];
}

const CATEGORIES = ['unstarted', 'started', 'completed'];

/** Splits issues into groups in a stable order: the workflow's order for status, priority, type and
 * category; by name otherwise, with the issues that have none last. An issue with labels sits in its
 * first label's group. Within a group the list's sort is kept. */
export function groupIssues(issues: Issue[], by: Grouping, names: Names): Group[] {
  if (by === 'none') return [{ key: '', label: '', issues }];
  const keyOf = (i: Issue): string => {
    switch (by) {
      case 'status':
        return i.status;
      case 'category':
        return i.category;
      case 'priority':
        return i.priority;
      case 'type':
        return i.type;
      case 'assignee':
        return i.assignee_id ?? '';
      case 'team':
        return i.team_id ?? '';
      case 'label':
        return i.labels[0] ?? '';
    }
  };
  const labelOf = (k: string): string => {
    if (!k) return by === 'label' ? 'No label' : by === 'team' ? 'No team' : 'Unassigned';
    if (by === 'assignee') return names.user(k);
    if (by === 'team') return names.team(k);
    if (by === 'label') return names.label(k);
    return k;
  };
  const fixed: Partial<Record<Grouping, readonly string[]>> = {
    status: names.statusOrder ?? STATUSES,
    category: CATEGORIES,
    priority: PRIORITIES,
    type: TYPES,
  };
  const groups = new Map<string, Issue[]>();
  for (const i of issues) {
    const k = keyOf(i);
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  }
  const order = fixed[by];
  const out = [...groups.entries()].map(([key, is]) => ({ key, label: labelOf(key), issues: is }));
  out.sort((a, b) => {
    if (order) {
      // a key the order does not know (a status of no loaded workflow) goes last
      const at = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
      return at(a.key) - at(b.key) || a.label.localeCompare(b.label);
    }
    if (!a.key !== !b.key) return a.key ? -1 : 1;
    return a.label.localeCompare(b.label);
  });
  return out;
}
