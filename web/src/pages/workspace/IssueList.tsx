import { useVirtualizer } from '@tanstack/react-virtual';
import { formatDistanceToNowStrict, isBefore, parseISO, startOfToday } from 'date-fns';
import { ArrowDownUp, CalendarClock, Check, FolderKanban, Inbox, Plus, Rows3, Search, X } from 'lucide-react';
import { DropdownMenu } from 'radix-ui';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { PriorityIcon, PRIORITY_LABEL, StatusIcon, TypeIcon, TYPE_LABEL } from '../../components/issueIcons';
import { Avatar, Button, cx, EmptyState, ErrorState, Kbd, Skeleton } from '../../components/ui';
import { clickSelect } from '../../lib/bulk';
import { usePendingSearch, usePendingTimer } from '../../lib/pendingSearch';
import {
  activeFilterCount,
  apiQuery,
  COLUMNS,
  DUES,
  emptyFilters,
  formatFilters,
  GROUPINGS,
  parseFilters,
  SORTS,
  toggle,
  type Column,
  type Grouping,
  type IssueFilters,
} from '../../lib/filters';
import { filtersFromView, groupIssues } from '../../lib/views';
import { issueStatusProps, statusLabel, statusUnion, type Workflow } from '../../lib/workflow';
import { BulkBar } from './BulkBar';
import { useShortcuts } from '../../lib/shortcuts';
import { useWorkspaceCtx } from './context';
import {
  findProject,
  useDirectory,
  useProjects,
  useViews,
  type Directory,
  type Issue,
  type Project,
} from './data';
import { FilterMenu, PropertyMenu, type Option } from './pickers';
import { ViewPicker } from './ViewPicker';
import {
  assigneeOptions,
  labelOptions,
  priorityOptions,
  statusOptions,
  typeOptions,
  workflowStatusOptions,
} from './options';
import { useProjectWorkflows } from './projectData';
import { useIssueList } from './useIssueList';

const SORT_LABEL: Record<string, string> = {
  updated: 'Last updated',
  created: 'Created',
  priority: 'Priority',
  due: 'Due date',
};
const GROUP_LABEL: Record<Grouping, string> = {
  none: 'No grouping',
  status: 'Status',
  category: 'Status category',
  assignee: 'Assignee',
  team: 'Team',
  priority: 'Priority',
  type: 'Type',
  label: 'Label',
};
const COLUMN_LABEL: Record<Column, string> = {
  key: 'Key',
  title: 'Title',
  status: 'Status',
  category: 'Status category',
  priority: 'Priority',
  type: 'Type',
  assignee: 'Assignee',
  team: 'Team',
  labels: 'Labels',
  due_date: 'Due date',
  created_at: 'Created',
  updated_at: 'Updated',
  reporter: 'Reporter',
};
const DUE_LABEL: Record<string, string> = {
  overdue: 'Overdue',
  today: 'Due today or earlier',
  week: 'Due within a week',
};

export default function IssueList() {
  const { slug, me, openCreate } = useWorkspaceCtx();
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const filters = useMemo(() => parseFilters(params), [params]);
  const query = useMemo(() => apiQuery(filters), [filters]);
  const dir = useDirectory(slug);
  const list = useIssueList(slug, query);
  const issues = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const [search, setSearch] = useState(filters.q);
  const searchRef = useRef<HTMLInputElement>(null);
  const mine = filters.assignee.length === 1 && filters.assignee[0] === 'me';

  const projects = useProjects(slug);
  // The statuses come from the workflows of the projects listed: the one chosen, or every project
  // (and those of the loaded issues) in "All projects".
  const scopeIds = useMemo(() => {
    const chosen = filters.project
      .map((r) => findProject(projects.data, r)?.id)
      .filter((id): id is string => !!id);
    if (chosen.length) return chosen;
    return [
      ...(projects.data ?? []).filter((p) => !p.archived).map((p) => p.id),
      ...issues.map((i) => i.project_id),
    ];
  }, [filters.project, projects.data, issues]);
  const workflows = useProjectWorkflows(slug, scopeIds);
  // "New issue" files into the project shown (one chosen), else the default project
  const shown = filters.project.length === 1 ? findProject(projects.data, filters.project[0]!) : undefined;
  const create = () => openCreate(shown ? { project: shown.id } : undefined);
  const statuses = useMemo(() => statusUnion(workflows.all), [workflows]);
  const statusOrder = useMemo(() => statuses.map((x) => x.status), [statuses]);
  const views = useViews(slug);
  const viewId = params.get('view') ?? '';
  const view = views.data?.find((v) => v.id === viewId);
  const viewChanged = useMemo(() => {
    if (!view) return false;
    return (
      formatFilters({ ...filtersFromView(view), q: '' }).toString() !==
      formatFilters({ ...filters, q: '' }).toString()
    );
  }, [view, filters]);
  const [selected, setSelected] = useState<Set<string>>(() => new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const queryKey = JSON.stringify(query);
  const [selQuery, setSelQuery] = useState(queryKey);
  if (selQuery !== queryKey) {
    // another list: the selection was of the old one
    setSelQuery(queryKey);
    setSelected(new Set());
    setAnchor(null);
  }

  // The search box writes q to the URL after a pause (usePendingSearch); a
  // click that changes the filters takes the text typed so far with it and
  // cancels the pending write.
  const pending = usePendingTimer();
  const set = (f: Partial<IssueFilters>) => {
    pending.cancel();
    const next = formatFilters({ ...filters, q: search, ...f });
    if (viewId) next.set('view', viewId);
    setParams(next, { replace: true });
  };
  const openView = (v: { id: string } | undefined) => {
    pending.cancel(); // the view replaces the filters, the search being typed too
    const found = v && (views.data?.find((x) => x.id === v.id) ?? (v as typeof view));
    if (!found) return setParams(formatFilters({ ...emptyFilters, project: filters.project }));
    const next = formatFilters(filtersFromView(found));
    next.set('view', found.id);
    setParams(next);
  };

  // The search box writes q to the URL after a pause.
  const [urlQ, setUrlQ] = useState(filters.q);
  if (urlQ !== filters.q) {
    // the URL changed under us (back button, a shared link): the box follows
    setUrlQ(filters.q);
    setSearch(filters.q);
  }
  usePendingSearch(pending, search, filters.q, (q) => set({ q }));
  useEffect(() => {
    if (params.get('focus') === 'search') {
      searchRef.current?.focus();
      const p = new URLSearchParams(params);
      p.delete('focus');
      setParams(p, { replace: true });
    }
  }, [params, setParams]);

  useEffect(() => {
    document.title = `${mine ? 'My issues' : 'Issues'} · ${me.tenant.name}`;
  }, [mine, me.tenant.name]);

  const toggleIn = (k: 'status' | 'assignee' | 'team' | 'priority' | 'type' | 'label') => (v: string) =>
    set({ [k]: toggle(filters[k], v) });
  const assignees: Option[] = [
    { value: 'me', label: 'Me' },
    { value: 'none', label: 'Unassigned' },
    ...assigneeOptions(dir, me.user.id).filter((o) => o.value && !o.value.startsWith('team:')),
  ];
  const teams: Option[] = [
    { value: 'mine', label: 'My teams' },
    ...dir.teams.map((t) => ({ value: t.id, label: t.name })),
  ];
  const count = activeFilterCount(filters);

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <header className="flex flex-wrap items-center gap-2 border-b border-line px-4 py-2">
        <h1 className="mr-1 text-sm font-semibold">{mine ? 'My issues' : 'Issues'}</h1>
        <ProjectSwitcher
          projects={projects.data ?? []}
          value={filters.project}
          onChange={(p) => set({ project: p ? [p] : [] })}
        />
        <ViewPicker
          views={views.data ?? []}
          current={view}
          modified={viewChanged}
          filters={filters}
          onOpen={openView}
        />
        <div className="relative min-w-40 flex-1 sm:max-w-72">
          <Search
            className="pointer-events-none absolute top-1/2 left-2 size-3.5 -translate-y-1/2 text-faint"
            aria-hidden
          />
          <input
            id="issue-search"
            ref={searchRef}
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            onKeyDown={(e) => e.key === 'Escape' && (e.currentTarget.blur(), setSearch(''))}
            placeholder="Search issues"
            aria-label="Search issues"
            className="h-7 w-full rounded-md border border-line bg-white pr-8 pl-7 text-xs focus:border-brand focus:outline-none"
          />
          <span className="pointer-events-none absolute top-1/2 right-1.5 -translate-y-1/2">
            <Kbd>/</Kbd>
          </span>
        </div>
        <span className="flex-1" />
        <Button size="sm" variant="primary" onClick={create}>
          <Plus className="size-3.5" aria-hidden /> New issue
        </Button>
      </header>
      <div
        className="flex flex-wrap items-center gap-1.5 border-b border-line px-4 py-1.5"
        role="toolbar"
        aria-label="Filters"
      >
        <FilterMenu
          label="Status"
          options={statuses.length ? workflowStatusOptions(statuses) : statusOptions}
          values={filters.status}
          onToggle={toggleIn('status')}
        />
        <FilterMenu
          label="Assignee"
          options={assignees}
          values={filters.assignee}
          onToggle={toggleIn('assignee')}
        />
        <FilterMenu label="Team" options={teams} values={filters.team} onToggle={toggleIn('team')} />
        <FilterMenu
          label="Priority"
          options={priorityOptions}
          values={filters.priority}
          onToggle={toggleIn('priority')}
        />
        <FilterMenu label="Type" options={typeOptions} values={filters.type} onToggle={toggleIn('type')} />
        <FilterMenu
          label="Label"
          options={labelOptions(dir)}
          values={filters.label}
          onToggle={toggleIn('label')}
        />
        <FilterMenu
          label="Due"
          options={DUES.map((d) => ({
            value: d,
            label: DUE_LABEL[d] ?? d,
            icon: <CalendarClock className="size-3.5" aria-hidden />,
          }))}
          values={filters.due ? [filters.due] : []}
          onToggle={(v) => set({ due: filters.due === v ? undefined : (v as IssueFilters['due']) })}
        />
        {count > 0 && (
          <Button
            size="sm"
            variant="ghost"
            onClick={() =>
              setParams(
                formatFilters({
                  ...emptyFilters,
                  q: filters.q,
                  sort: filters.sort,
                  order: filters.order,
                  project: filters.project,
                  group: filters.group,
                  columns: filters.columns,
                }),
                { replace: true },
              )
            }
          >
            <X className="size-3" aria-hidden /> Clear
          </Button>
        )}
        <span className="flex-1" />
        <DisplayMenu
          group={filters.group}
          columns={filters.columns}
          onGroup={(group) => set({ group })}
          onColumns={(columns) => set({ columns })}
        />
        {!filters.q && (
          <DropdownMenu.Root>
            <DropdownMenu.Trigger asChild>
              <Button
                size="sm"
                variant="ghost"
                aria-label={`Sort: ${SORT_LABEL[filters.sort]}, ${filters.order === 'asc' ? 'ascending' : 'descending'}`}
              >
                <ArrowDownUp className="size-3.5" aria-hidden /> {SORT_LABEL[filters.sort]}
              </Button>
            </DropdownMenu.Trigger>
            <DropdownMenu.Portal>
              <DropdownMenu.Content
                align="end"
                sideOffset={4}
                className="z-50 min-w-44 rounded-lg border border-line bg-white p-1 text-sm shadow-lg"
              >
                <DropdownMenu.RadioGroup
                  value={filters.sort}
                  onValueChange={(v) => set({ sort: v as IssueFilters['sort'] })}
                >
                  {SORTS.map((s) => (
                    <DropdownMenu.RadioItem
                      key={s}
                      value={s}
                      className="rounded px-2 py-1.5 outline-none data-highlighted:bg-panel data-[state=checked]:font-medium"
                    >
                      {SORT_LABEL[s]}
                    </DropdownMenu.RadioItem>
                  ))}
                </DropdownMenu.RadioGroup>
                <DropdownMenu.Separator className="my-1 h-px bg-line" />
                <DropdownMenu.RadioGroup
                  value={filters.order}
                  onValueChange={(v) => set({ order: v as 'asc' | 'desc' })}
                >
                  <DropdownMenu.RadioItem
                    value="desc"
                    className="rounded px-2 py-1.5 outline-none data-highlighted:bg-panel data-[state=checked]:font-medium"
                  >
                    Descending
                  </DropdownMenu.RadioItem>
                  <DropdownMenu.RadioItem
                    value="asc"
                    className="rounded px-2 py-1.5 outline-none data-highlighted:bg-panel data-[state=checked]:font-medium"
                  >
                    Ascending
                  </DropdownMenu.RadioItem>
                </DropdownMenu.RadioGroup>
              </DropdownMenu.Content>
            </DropdownMenu.Portal>
          </DropdownMenu.Root>
        )}
      </div>
      {selected.size > 0 && (
        <BulkBar
          slug={slug}
          selected={issues.filter((i) => selected.has(i.id))}
          dir={dir}
          onClear={() => setSelected(new Set())}
        />
      )}
      {list.isPending ? (
        <Skeleton rows={12} />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : issues.length === 0 ? (
        count > 0 || filters.q ? (
          <EmptyState icon={<Search className="size-6" />} title="No issues match">
            Try fewer filters or other words.
          </EmptyState>
        ) : (
          <EmptyState icon={<Inbox className="size-6" />} title="No issues yet">
            <p>Issues are the work your team tracks.</p>
            <Button className="mt-3" variant="primary" size="sm" onClick={create}>
              Create the first issue <Kbd>C</Kbd>
            </Button>
          </EmptyState>
        )
      ) : (
        <Rows
          slug={slug}
          issues={issues}
          dir={dir}
          projects={projects.data ?? []}
          wfOf={workflows.of}
          statusOrder={statusOrder}
          group={filters.q ? 'none' : filters.group}
          columns={filters.columns}
          selected={selected}
          onSelect={(ids, index, shift) => {
            setSelected(clickSelect(selected, ids, index, anchor, shift));
            if (!shift) setAnchor(index);
          }}
          onSelectAll={(ids) => setSelected(selected.size === ids.length ? new Set() : new Set(ids))}
          hasMore={!!list.hasNextPage}
          loadMore={() => !list.isFetchingNextPage && void list.fetchNextPage()}
          onOpen={(i) => navigate(`/w/${slug}/issues/${i.key}`)}
        />
      )}
    </div>
  );
}

const ROW = 40;

/** Picks the project the list shows (all, or one; archived projects are listed last). */
function ProjectSwitcher({
  projects,
  value,
  onChange,
}: {
  projects: Project[];
  value: string[];
  onChange: (key: string) => void;
}) {
  const cur = value.length === 1 ? findProject(projects, value[0]!) : undefined;
  const sorted = [...projects].sort(
    (a, b) => Number(a.archived) - Number(b.archived) || a.name.localeCompare(b.name),
  );
  const options: Option[] = [
    { value: '', label: 'All projects' },
    ...sorted.map((p) => ({
      value: p.key,
      label: `${p.name} (${p.key})${p.archived ? ' · archived' : ''}`,
      icon: <FolderKanban className="size-3.5 text-muted" aria-hidden />,
    })),
  ];
  return (
    <PropertyMenu
      label="Project"
      value={cur?.key ?? (value.length ? value.join(',') : '')}
      options={options}
      onChange={onChange}
      className="border border-line text-xs"
      trigger={
        <>
          <FolderKanban className="size-3.5 text-muted" aria-hidden />
          <span className="truncate" data-testid="project-switcher">
            {cur ? cur.name : value.length ? value.join(', ') : 'All projects'}
          </span>
        </>
      }
    />
  );
}

/** Grouping and columns of the list (a saved view keeps both). */
function DisplayMenu({
  group,
  columns,
  onGroup,
  onColumns,
}: {
  group: Grouping;
  columns: Column[];
  onGroup: (g: Grouping) => void;
  onColumns: (c: Column[]) => void;
}) {
  const item =
    'flex items-center gap-2 rounded px-2 py-1.5 outline-none data-highlighted:bg-panel data-[state=checked]:font-medium';
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger asChild>
        <Button size="sm" variant="ghost" aria-label={`Display: grouped by ${GROUP_LABEL[group]}`}>
          <Rows3 className="size-3.5" aria-hidden /> Display
        </Button>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content
          align="end"
          sideOffset={4}
          className="z-50 max-h-[70vh] min-w-48 overflow-y-auto rounded-lg border border-line bg-white p-1 text-sm shadow-lg"
        >
          <DropdownMenu.Label className="px-2 pt-1 pb-1 text-2xs font-semibold text-muted">
            Group by
          </DropdownMenu.Label>
          <DropdownMenu.RadioGroup value={group} onValueChange={(v) => onGroup(v as Grouping)}>
            {GROUPINGS.map((g) => (
              <DropdownMenu.RadioItem key={g} value={g} className={item}>
                <span className="flex size-3.5 items-center">
                  <DropdownMenu.ItemIndicator>
                    <Check className="size-3.5" aria-hidden />
                  </DropdownMenu.ItemIndicator>
                </span>
                {GROUP_LABEL[g]}
              </DropdownMenu.RadioItem>
            ))}
          </DropdownMenu.RadioGroup>
          <DropdownMenu.Separator className="my-1 h-px bg-line" />
          <DropdownMenu.Label className="px-2 pt-1 pb-1 text-2xs font-semibold text-muted">
            Columns
          </DropdownMenu.Label>
          {COLUMNS.filter((c) => c !== 'title').map((c) => (
            <DropdownMenu.CheckboxItem
              key={c}
              checked={columns.includes(c)}
              onSelect={(e) => e.preventDefault()}
              onCheckedChange={() =>
                onColumns(columns.includes(c) ? columns.filter((x) => x !== c) : [...columns, c])
              }
              className={item}
            >
              <span className="flex size-3.5 items-center">
                <DropdownMenu.ItemIndicator>
                  <Check className="size-3.5" aria-hidden />
                </DropdownMenu.ItemIndicator>
              </span>
              {COLUMN_LABEL[c]}
            </DropdownMenu.CheckboxItem>
          ))}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

type Row = { kind: 'group'; label: string; count: number } | { kind: 'issue'; issue: Issue; n: number };

function Rows({
  slug,
  issues,
  dir,
  projects,
  wfOf,
  statusOrder,
  group,
  columns,
  selected,
  onSelect,
  onSelectAll,
  hasMore,
  loadMore,
  onOpen,
}: {
  slug: string;
  issues: Issue[];
  dir: Directory;
  projects: Project[];
  wfOf: (projectId: string) => Workflow | undefined;
  statusOrder: string[];
  group: Grouping;
  columns: Column[];
  selected: ReadonlySet<string>;
  onSelect: (ids: string[], index: number, shift: boolean) => void;
  onSelectAll: (ids: string[]) => void;
  hasMore: boolean;
  loadMore: () => void;
  onOpen: (i: Issue) => void;
}) {
  const parent = useRef<HTMLDivElement>(null);
  const [sel, setSel] = useState(-1);
  // The rows in display order: group headings, then their issues; `order` is the issues in that order.
  const { rows, order, rowOf } = useMemo(() => {
    const groups = groupIssues(issues, group, {
      user: (id) => dir.userName(id),
      team: (id) => (id ? (dir.team(id)?.name ?? 'Former team') : 'No team'),
      label: (id) => dir.label(id)?.name ?? id,
      statusOrder: statusOrder.length ? statusOrder : undefined,
    });
    const rows: Row[] = [];
    const order: Issue[] = [];
    const rowOf: number[] = [];
    for (const g of groups) {
      const label =
        group === 'status'
          ? g.issues[0]
            ? issueStatusProps(wfOf, g.issues[0]).name
            : statusLabel(g.key)
          : group === 'type'
            ? (TYPE_LABEL[g.key] ?? g.label)
            : group === 'priority'
              ? (PRIORITY_LABEL[g.key] ?? g.label)
              : g.label;
      if (group !== 'none') rows.push({ kind: 'group', label, count: g.issues.length });
      for (const i of g.issues) {
        rowOf.push(rows.length);
        rows.push({ kind: 'issue', issue: i, n: order.length });
        order.push(i);
      }
    }
    return { rows, order, rowOf };
  }, [issues, group, dir, wfOf, statusOrder]);
  const ids = useMemo(() => order.map((i) => i.id), [order]);
  // The key column fits the longest key loaded (a project key has up to 10 characters: WALKMX5TTP-1
  // wrapped in a fixed w-16), the same width on every row so the titles line up.
  const keyWidth = useMemo(() => `${Math.max(8, ...order.map((i) => i.key.length))}ch`, [order]);
  const v = useVirtualizer({
    count: rows.length,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW,
    overscan: 12,
  });
  const items = v.getVirtualItems();
  const last = items[items.length - 1];
  useEffect(() => {
    if (hasMore && last && last.index >= rows.length - 20) loadMore();
  }, [hasMore, last, rows.length, loadMore]);

  const move = (d: number) => {
    const n = Math.max(0, Math.min(order.length - 1, sel + d));
    setSel(n);
    const r = rowOf[n] ?? 0;
    v.scrollToIndex(r, { align: 'auto' });
    requestAnimationFrame(() => parent.current?.querySelector<HTMLElement>(`[data-index="${r}"] a`)?.focus());
  };
  useShortcuts({
    j: () => move(1),
    k: () => move(-1),
    ArrowDown: () => move(1),
    ArrowUp: () => move(-1),
    Enter: () => {
      const i = order[sel];
      if (i) onOpen(i);
    },
    x: () => sel >= 0 && onSelect(ids, sel, false),
  });
  const today = startOfToday();
  const show = (c: Column) => columns.includes(c);
  const projectKey = useMemo(() => new Map(projects.map((p) => [p.id, p.key])), [projects]);
  const allOn = selected.size > 0 && ids.every((id) => selected.has(id));

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="flex items-center gap-3 border-b border-line px-4 py-1 text-2xs text-muted">
        <input
          type="checkbox"
          aria-label={`Select all ${ids.length} loaded issues`}
          checked={allOn}
          ref={(el) => {
            if (el) el.indeterminate = selected.size > 0 && !allOn;
          }}
          onChange={() => onSelectAll(ids)}
          className="size-3.5"
        />
        <span>
          {ids.length}
          {hasMore ? '+' : ''} {ids.length === 1 && !hasMore ? 'issue' : 'issues'}
        </span>
      </div>
      <div ref={parent} className="min-h-0 flex-1 overflow-y-auto" data-testid="issue-list">
        <ul role="list" aria-label="Issues" className="relative" style={{ height: v.getTotalSize() }}>
          {items.map((row) => {
            const r = rows[row.index]!;
            if (r.kind === 'group')
              return (
                <li
                  key={`g-${row.index}`}
                  data-index={row.index}
                  className="absolute inset-x-0 flex items-center gap-2 border-b border-line bg-panel px-4 text-xs font-semibold"
                  style={{ height: ROW, transform: `translateY(${row.start}px)` }}
                  data-testid="group-row"
                >
                  {r.label} <span className="font-normal text-muted">{r.count}</span>
                </li>
              );
            const i = r.issue;
            const who = i.assignee_id
              ? dir.userName(i.assignee_id)
              : i.team_id
                ? (dir.team(i.team_id)?.name ?? 'Team')
                : '';
            const overdue = i.due_date && i.category !== 'completed' && isBefore(parseISO(i.due_date), today);
            const isSel = selected.has(i.id);
            return (
              <li
                key={i.id}
                data-index={row.index}
                aria-setsize={order.length}
                aria-posinset={r.n + 1}
                className={cx(
                  'absolute inset-x-0 flex items-center border-b border-line/70',
                  isSel && 'bg-brand/5',
                )}
                style={{ height: ROW, transform: `translateY(${row.start}px)` }}
              >
                <input
                  type="checkbox"
                  className="ml-4 size-3.5 shrink-0"
                  aria-label={`Select ${i.key}`}
                  checked={isSel}
                  onChange={() => {}}
                  onClick={(e) => onSelect(ids, r.n, e.shiftKey)}
                  data-testid="issue-select"
                />
                <Link
                  to={`/w/${slug}/issues/${i.key}`}
                  onFocus={() => setSel(r.n)}
                  className={cx(
                    'flex h-full min-w-0 flex-1 items-center gap-3 px-3 text-sm hover:bg-panel focus:bg-panel focus:outline-none',
                    sel === r.n && 'bg-panel',
                  )}
                  data-testid="issue-row"
                >
                  {show('priority') && <PriorityIcon priority={i.priority} />}
                  {show('key') && (
                    <span
                      className="shrink-0 font-mono text-xs whitespace-nowrap text-muted"
                      style={{ width: keyWidth }}
                    >
                      {i.key}
                    </span>
                  )}
                  {show('status') && <StatusIcon {...issueStatusProps(wfOf, i)} />}
                  {show('type') && <TypeIcon type={i.type} />}
                  <span className="min-w-0 flex-1 truncate">{i.title}</span>
                  {i.progress && i.progress.total > 0 && (
                    <span className="hidden text-2xs text-muted sm:inline" title="Sub-issues done">
                      {i.progress.completed}/{i.progress.total}
                    </span>
                  )}
                  {show('category') && (
                    <span className="hidden text-xs text-muted sm:inline">{i.category}</span>
                  )}
                  {show('labels') && (
                    <span className="hidden gap-1 md:flex">
                      {i.labels.slice(0, 3).map((id) => {
                        const l = dir.label(id);
                        return (
                          <span
                            key={id}
                            className="inline-flex items-center gap-1 rounded-full border border-line px-1.5 text-2xs text-muted"
                          >
                            <span
                              className="size-1.5 rounded-full"
                              style={{ backgroundColor: l?.color ?? '#999' }}
                              aria-hidden
                            />
                            {l?.name ?? id}
                          </span>
                        );
                      })}
                    </span>
                  )}
                  {show('team') && i.team_id && (
                    <span className="hidden text-xs text-muted md:inline">{dir.team(i.team_id)?.name}</span>
                  )}
                  {show('reporter') && (
                    <span className="hidden text-xs text-muted md:inline">{dir.userName(i.reporter_id)}</span>
                  )}
                  {show('due_date') && i.due_date && (
                    <span
                      className={cx(
                        'hidden text-xs sm:inline',
                        overdue ? 'font-medium text-red-700' : 'text-muted',
                      )}
                    >
                      {overdue ? 'Overdue · ' : ''}
                      {i.due_date}
                    </span>
                  )}
                  {show('created_at') && (
                    <span
                      className="hidden w-20 text-right text-xs text-muted sm:inline"
                      title={i.created_at}
                    >
                      {formatDistanceToNowStrict(parseISO(i.created_at), { addSuffix: false })}
                    </span>
                  )}
                  {show('updated_at') && (
                    <span
                      className="hidden w-20 text-right text-xs text-muted sm:inline"
                      title={i.updated_at}
                    >
                      {formatDistanceToNowStrict(parseISO(i.updated_at), { addSuffix: false })}
                    </span>
                  )}
                  {show('assignee') &&
                    (who ? (
                      <span title={who}>
                        <Avatar name={who} />
                      </span>
                    ) : (
                      <span className="size-5" aria-hidden />
                    ))}
                  <span className="sr-only">
                    {who ? `assigned to ${who}` : 'unassigned'}
                    {projectKey.get(i.project_id) ? `, project ${projectKey.get(i.project_id)}` : ''}
                  </span>
                </Link>
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}
