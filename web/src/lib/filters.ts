// Issue list filters live in the URL's query string, so a view can be shared
// and bookmarked. parse/format convert URLSearchParams <-> IssueFilters;
// apiQuery turns filters into the query of GET /v1/issues or /v1/search.
import { addDays, format } from 'date-fns';

export const STATUSES = ['open', 'in_progress', 'in_review', 'closed'] as const;
export const PRIORITIES = ['urgent', 'high', 'medium', 'low', 'none'] as const;
export const TYPES = ['bug', 'feature', 'task'] as const;
export const SORTS = ['updated', 'created', 'priority', 'due'] as const;
export const DUES = ['overdue', 'today', 'week'] as const;
/** How the list may be grouped (the saved views' groupings, internal/view). */
export const GROUPINGS = [
  'none',
  'status',
  'category',
  'assignee',
  'team',
  'priority',
  'type',
  'label',
] as const;
/** The columns a list (and a saved view) may show (internal/view.Columns). */
export const COLUMNS = [
  'key',
  'title',
  'status',
  'category',
  'priority',
  'type',
  'assignee',
  'team',
  'labels',
  'due_date',
  'created_at',
  'updated_at',
  'reporter',
] as const;
/** The list's columns when the URL names none (what the list always showed). */
export const DEFAULT_COLUMNS: Column[] = [
  'priority',
  'key',
  'status',
  'title',
  'labels',
  'due_date',
  'updated_at',
  'assignee',
];

export type Sort = (typeof SORTS)[number];
export type Due = (typeof DUES)[number];
export type Grouping = (typeof GROUPINGS)[number];
export type Column = (typeof COLUMNS)[number];

export interface IssueFilters {
  status: string[];
  assignee: string[]; // user ids, "me", "none"
  team: string[]; // team ids, "mine"
  priority: string[];
  type: string[];
  label: string[]; // label ids
  project: string[]; // project ids or keys
  due?: Due;
  q: string;
  sort: Sort;
  order: 'asc' | 'desc';
  group: Grouping;
  columns: Column[];
}

export const emptyFilters: IssueFilters = {
  status: [],
  assignee: [],
  team: [],
  priority: [],
  type: [],
  label: [],
  project: [],
  q: '',
  sort: 'updated',
  order: 'desc',
  group: 'none',
  columns: DEFAULT_COLUMNS,
};

const ID = /^[A-Za-z0-9_.:@-]{1,64}$/;
/** A status id as workflows make them (internal/issue: lower case, digits and _, at most 32): a
 * project's custom statuses are filters too, so any well-formed id passes and the API judges. */
export const STATUS_ID = /^[a-z][a-z0-9_]{0,31}$/;

function list(p: URLSearchParams, key: string, allowed?: readonly string[] | RegExp): string[] {
  const out: string[] = [];
  for (const raw of p.getAll(key).flatMap((v) => v.split(','))) {
    const v = raw.trim();
    if (!v || out.includes(v)) continue;
    if (allowed instanceof RegExp ? allowed.test(v) : allowed ? allowed.includes(v) : ID.test(v)) out.push(v);
  }
  return out;
}

function oneOf<T extends string>(v: string | null, allowed: readonly T[]): T | undefined {
  return allowed.find((a) => a === v);
}

/** Reads filters from a query string; unknown or malformed values are dropped, not errors. */
export function parseFilters(p: URLSearchParams): IssueFilters {
  return {
    status: list(p, 'status', STATUS_ID),
    assignee: list(p, 'assignee'),
    team: list(p, 'team'),
    priority: list(p, 'priority', PRIORITIES),
    type: list(p, 'type', TYPES),
    label: list(p, 'label'),
    project: list(p, 'project'),
    due: oneOf(p.get('due'), DUES),
    q: (p.get('q') ?? '').slice(0, 200),
    sort: oneOf(p.get('sort'), SORTS) ?? 'updated',
    order: p.get('order') === 'asc' ? 'asc' : 'desc',
    group: oneOf(p.get('group'), GROUPINGS) ?? 'none',
    columns: p.has('cols') ? (list(p, 'cols', COLUMNS) as Column[]) : DEFAULT_COLUMNS,
  };
}

/** Writes filters as a short, stable query string (defaults are left out). */
export function formatFilters(f: IssueFilters): URLSearchParams {
  const p = new URLSearchParams();
  const put = (k: string, vs: string[]) => vs.length && p.set(k, vs.join(','));
  put('status', f.status);
  put('assignee', f.assignee);
  put('team', f.team);
  put('priority', f.priority);
  put('type', f.type);
  put('label', f.label);
  put('project', f.project);
  if (f.due) p.set('due', f.due);
  if (f.q.trim()) p.set('q', f.q.trim());
  if (f.sort !== 'updated') p.set('sort', f.sort);
  if (f.order !== 'desc') p.set('order', f.order);
  if (f.group !== 'none') p.set('group', f.group);
  if (!sameColumns(f.columns, DEFAULT_COLUMNS)) p.set('cols', f.columns.join(','));
  return p;
}

/** The filters set besides the project (the project switcher is not a filter to clear). */
export function activeFilterCount(f: IssueFilters): number {
  return (
    f.status.length +
    f.assignee.length +
    f.team.length +
    f.priority.length +
    f.type.length +
    f.label.length +
    (f.due ? 1 : 0)
  );
}

export function toggle(values: string[], v: string): string[] {
  return values.includes(v) ? values.filter((x) => x !== v) : [...values, v];
}

/** The query of GET /v1/issues (or /v1/search when q is set) for these filters. */
export function apiQuery(f: IssueFilters, today = new Date()): Record<string, string> {
  const q: Record<string, string> = {};
  const put = (k: string, vs: string[]) => {
    if (vs.length) q[k] = vs.join(',');
  };
  put('status', f.status);
  put('assignee', f.assignee);
  put('team', f.team);
  put('priority', f.priority);
  put('type', f.type);
  put('label', f.label);
  put('project', f.project);
  const day = (d: Date) => format(d, 'yyyy-MM-dd');
  if (f.due === 'overdue') q.overdue = 'true';
  if (f.due === 'today') q.due_before = day(today);
  if (f.due === 'week') q.due_before = day(addDays(today, 7));
  if (f.q.trim()) {
    q.q = f.q.trim();
  } else {
    q.sort = f.sort;
    q.order = f.order;
  }
  return q;
}

/** Whether two column lists show the same columns (the row lays them out in its own order). */
export function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c) => b.includes(c));
}
