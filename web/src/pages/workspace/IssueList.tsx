import { useVirtualizer } from '@tanstack/react-virtual';
import { formatDistanceToNowStrict, isBefore, parseISO, startOfToday } from 'date-fns';
import { ArrowDownUp, CalendarClock, Inbox, Plus, Search, X } from 'lucide-react';
import { DropdownMenu } from 'radix-ui';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { PriorityIcon, StatusIcon } from '../../components/issueIcons';
import { Avatar, Button, cx, EmptyState, ErrorState, Kbd, Skeleton } from '../../components/ui';
import {
  activeFilterCount,
  apiQuery,
  DUES,
  emptyFilters,
  formatFilters,
  parseFilters,
  SORTS,
  toggle,
  type IssueFilters,
} from '../../lib/filters';
import { useShortcuts } from '../../lib/shortcuts';
import { useWorkspaceCtx } from './context';
import { useDirectory, type Directory, type Issue } from './data';
import { FilterMenu, type Option } from './pickers';
import { assigneeOptions, labelOptions, priorityOptions, statusOptions, typeOptions } from './options';
import { useIssueList } from './useIssueList';

const SORT_LABEL: Record<string, string> = {
  updated: 'Last updated',
  created: 'Created',
  priority: 'Priority',
  due: 'Due date',
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

  const set = (f: Partial<IssueFilters>) => {
    const next = formatFilters({ ...filters, ...f });
    setParams(next, { replace: true });
  };

  // The search box writes q to the URL after a pause.
  const [urlQ, setUrlQ] = useState(filters.q);
  if (urlQ !== filters.q) {
    // the URL changed under us (back button, a shared link): the box follows
    setUrlQ(filters.q);
    setSearch(filters.q);
  }
  useEffect(() => {
    if (search === filters.q) return;
    const t = setTimeout(() => set({ q: search }), 250);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search]);
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
        <h1 className="mr-2 text-sm font-semibold">{mine ? 'My issues' : 'Issues'}</h1>
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
        <Button size="sm" variant="primary" onClick={() => openCreate()}>
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
          options={statusOptions}
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
                formatFilters({ ...emptyFilters, q: filters.q, sort: filters.sort, order: filters.order }),
                { replace: true },
              )
            }
          >
            <X className="size-3" aria-hidden /> Clear
          </Button>
        )}
        <span className="flex-1" />
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
            <Button className="mt-3" variant="primary" size="sm" onClick={() => openCreate()}>
              Create the first issue <Kbd>C</Kbd>
            </Button>
          </EmptyState>
        )
      ) : (
        <Rows
          slug={slug}
          issues={issues}
          dir={dir}
          hasMore={!!list.hasNextPage}
          loadMore={() => !list.isFetchingNextPage && void list.fetchNextPage()}
          onOpen={(i) => navigate(`/w/${slug}/issues/${i.key}`)}
        />
      )}
    </div>
  );
}

const ROW = 40;

function Rows({
  slug,
  issues,
  dir,
  hasMore,
  loadMore,
  onOpen,
}: {
  slug: string;
  issues: Issue[];
  dir: Directory;
  hasMore: boolean;
  loadMore: () => void;
  onOpen: (i: Issue) => void;
}) {
  const parent = useRef<HTMLDivElement>(null);
  const [sel, setSel] = useState(-1);
  const v = useVirtualizer({
    count: issues.length,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW,
    overscan: 12,
  });
  const items = v.getVirtualItems();
  const last = items[items.length - 1];
  useEffect(() => {
    if (hasMore && last && last.index >= issues.length - 20) loadMore();
  }, [hasMore, last, issues.length, loadMore]);

  const move = (d: number) => {
    const n = Math.max(0, Math.min(issues.length - 1, sel + d));
    setSel(n);
    v.scrollToIndex(n, { align: 'auto' });
    requestAnimationFrame(() => parent.current?.querySelector<HTMLElement>(`[data-index="${n}"] a`)?.focus());
  };
  useShortcuts({
    j: () => move(1),
    k: () => move(-1),
    ArrowDown: () => move(1),
    ArrowUp: () => move(-1),
    Enter: () => {
      const i = issues[sel];
      if (i) onOpen(i);
    },
  });
  const today = startOfToday();

  return (
    <div ref={parent} className="min-h-0 flex-1 overflow-y-auto" data-testid="issue-list">
      <ul role="list" aria-label="Issues" className="relative" style={{ height: v.getTotalSize() }}>
        {items.map((row) => {
          const i = issues[row.index]!;
          const who = i.assignee_id
            ? dir.userName(i.assignee_id)
            : i.team_id
              ? (dir.team(i.team_id)?.name ?? 'Team')
              : '';
          const overdue = i.due_date && i.category !== 'completed' && isBefore(parseISO(i.due_date), today);
          return (
            <li
              key={i.id}
              data-index={row.index}
              aria-setsize={issues.length}
              aria-posinset={row.index + 1}
              className="absolute inset-x-0"
              style={{ height: ROW, transform: `translateY(${row.start}px)` }}
            >
              <Link
                to={`/w/${slug}/issues/${i.key}`}
                onFocus={() => setSel(row.index)}
                className={cx(
                  'flex h-full items-center gap-3 border-b border-line/70 px-4 text-sm hover:bg-panel focus:bg-panel focus:outline-none',
                  sel === row.index && 'bg-panel',
                )}
                data-testid="issue-row"
              >
                <PriorityIcon priority={i.priority} />
                <span className="w-16 shrink-0 font-mono text-xs text-muted">{i.key}</span>
                <StatusIcon status={i.status} />
                <span className="min-w-0 flex-1 truncate">{i.title}</span>
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
                {i.due_date && (
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
                <span className="hidden w-20 text-right text-xs text-muted sm:inline" title={i.updated_at}>
                  {formatDistanceToNowStrict(parseISO(i.updated_at), { addSuffix: false })}
                </span>
                {who ? (
                  <span title={who}>
                    <Avatar name={who} />
                  </span>
                ) : (
                  <span className="size-5" aria-hidden />
                )}
                <span className="sr-only">{who ? `assigned to ${who}` : 'unassigned'}</span>
              </Link>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
