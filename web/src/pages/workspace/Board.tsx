import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
  type DragEndEvent,
  type DragStartEvent,
} from '@dnd-kit/core';
import { FolderKanban, Plus } from 'lucide-react';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { errorMessage } from '../../api/problem';
import { PriorityIcon, StatusIcon } from '../../components/issueIcons';
import { Avatar, Banner, Button, cx, EmptyState, ErrorState, Skeleton } from '../../components/ui';
import { canMove, columns, statusIconProps, statusName, type Workflow } from '../../lib/workflow';
import { ConflictBanner } from './ConflictBanner';
import { useWorkspaceCtx } from './context';
import { useDirectory, type Directory, type Issue, type Project } from './data';
import { PropertyMenu } from './pickers';
import { useProject, useProjectWorkflow } from './projectData';
import { useIssueList } from './useIssueList';
import { useIssueWrites } from './writes';

/** What one column's query has loaded (reported up, so a moved card shows in its new column at once). */
interface Feed {
  items: Issue[];
  pending: boolean;
  error: unknown;
  more?: () => void;
  refetch: () => void;
}

/** One column's issues: a query of the status index, filtered by project. Renders nothing. */
function ColumnFeed({
  slug,
  projectId,
  status,
  onFeed,
}: {
  slug: string;
  projectId: string;
  status: string;
  onFeed: (key: string, f: Feed) => void;
}) {
  const q = useIssueList(slug, { project: projectId, status, sort: 'updated', order: 'desc' });
  const { data, isPending, error, hasNextPage, fetchNextPage, refetch } = q;
  useEffect(() => {
    onFeed(`${projectId}:${status}`, {
      items: data?.pages.flatMap((p) => p.items) ?? [],
      pending: isPending,
      error,
      more: hasNextPage ? () => void fetchNextPage() : undefined,
      refetch: () => void refetch(),
    });
  }, [projectId, status, data, isPending, error, hasNextPage, fetchNextPage, refetch, onFeed]);
  return null;
}

/** The board of one project (`?project=KEY`, else the first active one): a column per status of
 * the project's workflow, in its order; a card drops only on a status its own allows. */
export default function Board() {
  const { slug, me, openCreate } = useWorkspaceCtx();
  const [params, setParams] = useSearchParams();
  const { projects, project } = useProject(slug, params.get('project'));
  const wf = useProjectWorkflow(slug, project?.id);
  const dir = useDirectory(slug);
  const cols = wf.data ? columns(wf.data) : [];
  const [feeds, setFeeds] = useState<Record<string, Feed>>({});
  const onFeed = useCallback((key: string, f: Feed) => setFeeds((m) => ({ ...m, [key]: f })), []);
  const feed = (c: string) => (project ? feeds[`${project.id}:${c}`] : undefined);
  const { write, pending, reapply, dismiss } = useIssueWrites(slug);
  const [active, setActive] = useState<Issue>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    document.title = `Board · ${me.tenant.name}`;
  }, [me.tenant.name]);

  // Group what is loaded by each issue's current status, so an optimistic
  // move shows in its new column at once.
  const live = cols.map(feed).filter((f): f is Feed => !!f);
  const loaded = live.flatMap((f) => f.items).filter((i) => i.project_id === project?.id);
  const sig = loaded.map((i) => `${i.id}:${i.status}:${i.version}`).join();
  const colKey = cols.join();
  const byStatus = useMemo(() => {
    const seen = new Set<string>();
    const m = new Map<string, Issue[]>(colKey.split(',').map((c) => [c, []]));
    for (const i of loaded) {
      if (seen.has(i.id)) continue;
      seen.add(i.id);
      m.get(i.status)?.push(i);
    }
    for (const list of m.values()) list.sort((a, b) => b.updated_at.localeCompare(a.updated_at));
    return m;
    // sig stands for `loaded`: a new array on every render, the same issues unless sig changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [sig, colKey]);

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor, {
      keyboardCodes: { start: ['Space'], cancel: ['Escape'], end: ['Space', 'Enter'] },
    }),
  );
  const onStart = (e: DragStartEvent) => setActive(e.active.data.current?.issue as Issue | undefined);
  const onEnd = (e: DragEndEvent) => {
    const issue = e.active.data.current?.issue as Issue | undefined;
    setActive(undefined);
    const to = e.over?.id as string | undefined;
    if (!issue || !to || !canMove(wf.data, issue.status, to)) return;
    setError(undefined);
    write(issue, { kind: 'transition', to }).catch(setError);
  };
  const name = (s: string) => statusName(wf.data, s);

  const failed = projects.error ?? wf.error ?? live.find((f) => f.error)?.error;
  const loading =
    projects.isPending || (!!project && (wf.isPending || cols.some((c) => !feed(c) || feed(c)!.pending)));

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <header className="flex flex-wrap items-center gap-2 border-b border-line px-4 py-2">
        <h1 className="text-sm font-semibold">Board</h1>
        {projects.data && (
          <BoardProjectSwitcher
            projects={projects.data}
            value={project?.key}
            onChange={(key) => setParams({ project: key })}
          />
        )}
        <span className="flex-1" />
        <Button size="sm" variant="primary" onClick={() => openCreate({ project: project?.id })}>
          <Plus className="size-3.5" aria-hidden /> New issue
        </Button>
      </header>
      {(pending || error !== undefined) && (
        <div className="space-y-2 px-4 pt-3">
          {pending && (
            <ConflictBanner c={pending} dir={dir} onReapply={() => void reapply()} onDismiss={dismiss} />
          )}
          {error !== undefined && <Banner tone="error">The move was refused: {errorMessage(error)}</Banner>}
        </div>
      )}
      {project &&
        cols.map((c) => (
          <ColumnFeed
            key={`${project.id}:${c}`}
            slug={slug}
            projectId={project.id}
            status={c}
            onFeed={onFeed}
          />
        ))}
      {failed ? (
        <ErrorState
          error={failed}
          onRetry={() => {
            void projects.refetch();
            void wf.refetch();
            live.forEach((f) => f.refetch());
          }}
        />
      ) : !loading && !project ? (
        <EmptyState icon={<FolderKanban className="size-6" />} title="No such project">
          Pick a project above.
        </EmptyState>
      ) : loading ? (
        <Skeleton rows={6} />
      ) : (
        <DndContext
          sensors={sensors}
          onDragStart={onStart}
          onDragEnd={onEnd}
          onDragCancel={() => setActive(undefined)}
          accessibility={{
            announcements: {
              onDragStart: ({ active: a }) =>
                `Picked up ${(a.data.current?.issue as Issue | undefined)?.key ?? 'issue'}.`,
              onDragOver: ({ over }) =>
                over
                  ? `Over ${name(String(over.id))}${over.disabled ? ' (not allowed)' : ''}.`
                  : 'Not over a column.',
              onDragEnd: ({ over }) => (over ? `Moved to ${name(String(over.id))}.` : 'Dropped.'),
              onDragCancel: () => 'Move cancelled.',
            },
          }}
        >
          <div className="flex min-h-0 flex-1 gap-3 overflow-x-auto p-3" data-testid="board">
            {cols.map((c) => (
              <Column
                key={c}
                status={c}
                wf={wf.data}
                issues={byStatus.get(c) ?? []}
                allowed={!active || canMove(wf.data, active.status, c)}
                dragging={!!active}
                dir={dir}
                slug={slug}
                more={feed(c)?.more}
                onCreate={() => openCreate({ status: c, project: project?.id })}
              />
            ))}
          </div>
          <DragOverlay>{active ? <Card issue={active} dir={dir} overlay /> : null}</DragOverlay>
        </DndContext>
      )}
    </div>
  );
}

function BoardProjectSwitcher({
  projects,
  value,
  onChange,
}: {
  projects: Project[];
  value?: string;
  onChange: (key: string) => void;
}) {
  const sorted = [...projects].sort(
    (a, b) => Number(a.archived) - Number(b.archived) || a.name.localeCompare(b.name),
  );
  const cur = projects.find((p) => p.key === value);
  return (
    <PropertyMenu
      label="Project"
      value={value ?? ''}
      options={sorted.map((p) => ({
        value: p.key,
        label: `${p.name} (${p.key})${p.archived ? ' · archived' : ''}`,
        icon: <FolderKanban className="size-3.5 text-muted" aria-hidden />,
      }))}
      onChange={onChange}
      className="border border-line text-xs"
      trigger={
        <>
          <FolderKanban className="size-3.5 text-muted" aria-hidden />
          <span className="truncate" data-testid="board-project">
            {cur?.name ?? 'Pick a project'}
          </span>
        </>
      }
    />
  );
}

function Column({
  status,
  wf,
  issues,
  allowed,
  dragging,
  dir,
  slug,
  more,
  onCreate,
}: {
  status: string;
  wf: Workflow | undefined;
  issues: Issue[];
  allowed: boolean;
  dragging: boolean;
  dir: Directory;
  slug: string;
  more?: () => void;
  onCreate: () => void;
}) {
  const { setNodeRef, isOver } = useDroppable({ id: status, disabled: !allowed });
  return (
    <section
      ref={setNodeRef}
      aria-label={statusName(wf, status)}
      data-testid={`column-${status}`}
      data-droppable={allowed ? 'true' : 'false'}
      className={cx(
        'flex w-72 shrink-0 flex-col rounded-lg bg-panel transition-colors',
        dragging && !allowed && 'opacity-50',
        dragging && allowed && 'ring-1 ring-brand/30',
        isOver && allowed && 'bg-brand/10 ring-2 ring-brand/50',
      )}
    >
      <h2 className="flex items-center gap-2 px-3 py-2 text-xs font-semibold">
        <StatusIcon {...statusIconProps(wf, status)} /> {statusName(wf, status)}{' '}
        <span className="font-normal text-muted">{issues.length}</span>
        <span className="flex-1" />
        <button
          type="button"
          onClick={onCreate}
          aria-label={`New issue in ${statusName(wf, status)}`}
          className="rounded p-0.5 text-muted hover:bg-white hover:text-ink"
        >
          <Plus className="size-3.5" aria-hidden />
        </button>
      </h2>
      <ul className="flex min-h-16 flex-1 flex-col gap-2 overflow-y-auto px-2 pb-2" role="list">
        {issues.map((i) => (
          <li key={i.id}>
            <Draggable issue={i} dir={dir} slug={slug} />
          </li>
        ))}
        {issues.length === 0 && <li className="px-1 py-3 text-center text-xs text-muted">No issues</li>}
        {more && (
          <li>
            <Button size="sm" variant="ghost" className="w-full" onClick={more}>
              Load more
            </Button>
          </li>
        )}
      </ul>
    </section>
  );
}

function Draggable({ issue, dir, slug }: { issue: Issue; dir: Directory; slug: string }) {
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({ id: issue.id, data: { issue } });
  // The card is a link (Enter opens the issue) that can be dragged with the
  // pointer or, with Space, from the keyboard.
  const { role: _role, ...rest } = attributes;
  return (
    <Link
      ref={setNodeRef}
      to={`/w/${slug}/issues/${issue.key}`}
      {...listeners}
      {...rest}
      aria-roledescription="draggable issue"
      className={cx('block rounded-md', isDragging && 'opacity-40')}
      data-testid="card"
      data-key={issue.key}
    >
      <Card issue={issue} dir={dir} />
    </Link>
  );
}

function Card({ issue, dir, overlay }: { issue: Issue; dir: Directory; overlay?: boolean }) {
  const who = issue.assignee_id
    ? dir.userName(issue.assignee_id)
    : issue.team_id
      ? dir.team(issue.team_id)?.name
      : undefined;
  return (
    <div
      className={cx(
        'rounded-md border border-line bg-white p-2.5 text-sm shadow-xs',
        overlay && 'rotate-1 shadow-lg',
      )}
    >
      <div className="mb-1 flex items-center gap-2 text-xs text-muted">
        <span className="font-mono">{issue.key}</span>
        <span className="flex-1" />
        <PriorityIcon priority={issue.priority} />
        {who && <Avatar name={who} />}
      </div>
      <span className="line-clamp-2">{issue.title}</span>
    </div>
  );
}
