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
import { Plus } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/problem';
import { PriorityIcon, StatusIcon } from '../../components/issueIcons';
import { Avatar, Banner, Button, cx, ErrorState, Skeleton } from '../../components/ui';
import { canMove, columns, statusLabel } from '../../lib/workflow';
import { ConflictBanner } from './ConflictBanner';
import { useWorkspaceCtx } from './context';
import { useDirectory, useWorkflow, type Directory, type Issue } from './data';
import { useIssueList } from './useIssueList';
import { useIssueWrites } from './writes';

function useColumn(slug: string, status: string) {
  return useIssueList(slug, { status, sort: 'updated', order: 'desc' });
}

export default function Board() {
  const { slug, me, openCreate } = useWorkspaceCtx();
  const wf = useWorkflow(slug);
  const dir = useDirectory(slug);
  const cols = columns(wf.data);
  // One query per column (the status index); a fixed set of four hooks.
  const q0 = useColumn(slug, cols[0] ?? 'open');
  const q1 = useColumn(slug, cols[1] ?? 'in_progress');
  const q2 = useColumn(slug, cols[2] ?? 'in_review');
  const q3 = useColumn(slug, cols[3] ?? 'closed');
  const qs = [q0, q1, q2, q3];
  const { write, pending, reapply, dismiss } = useIssueWrites(slug);
  const [active, setActive] = useState<Issue>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    document.title = `Board · ${me.tenant.name}`;
  }, [me.tenant.name]);

  // Group what is loaded by each issue's current status, so an optimistic
  // move shows in its new column at once.
  const loaded = qs.flatMap((q) => q.data?.pages.flatMap((p) => p.items) ?? []);
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

  if (wf.isError) return <ErrorState error={wf.error} onRetry={() => void wf.refetch()} />;
  const loading = wf.isPending || qs.some((q) => q.isPending);
  const failed = qs.find((q) => q.isError);

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <header className="flex items-center gap-2 border-b border-line px-4 py-2">
        <h1 className="text-sm font-semibold">Board</h1>
        <span className="flex-1" />
        <Button size="sm" variant="primary" onClick={() => openCreate()}>
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
      {failed ? (
        <ErrorState error={failed.error} onRetry={() => qs.forEach((q) => void q.refetch())} />
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
                  ? `Over ${statusLabel(String(over.id))}${over.disabled ? ' (not allowed)' : ''}.`
                  : 'Not over a column.',
              onDragEnd: ({ over }) => (over ? `Moved to ${statusLabel(String(over.id))}.` : 'Dropped.'),
              onDragCancel: () => 'Move cancelled.',
            },
          }}
        >
          <div className="flex min-h-0 flex-1 gap-3 overflow-x-auto p-3" data-testid="board">
            {cols.map((c, idx) => (
              <Column
                key={c}
                status={c}
                issues={byStatus.get(c) ?? []}
                allowed={!active || canMove(wf.data, active.status, c)}
                dragging={!!active}
                dir={dir}
                slug={slug}
                more={qs[idx]?.hasNextPage ? () => void qs[idx]?.fetchNextPage() : undefined}
                onCreate={() => openCreate({ status: c })}
              />
            ))}
          </div>
          <DragOverlay>{active ? <Card issue={active} dir={dir} overlay /> : null}</DragOverlay>
        </DndContext>
      )}
    </div>
  );
}

function Column({
  status,
  issues,
  allowed,
  dragging,
  dir,
  slug,
  more,
  onCreate,
}: {
  status: string;
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
      aria-label={statusLabel(status)}
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
        <StatusIcon status={status} /> {statusLabel(status)}{' '}
        <span className="font-normal text-muted">{issues.length}</span>
        <span className="flex-1" />
        <button
          type="button"
          onClick={onCreate}
          aria-label={`New issue in ${statusLabel(status)}`}
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
