import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { format, formatDistanceToNowStrict, parseISO } from 'date-fns';
import { ChevronRight, CornerDownRight, Pencil, Trash2 } from 'lucide-react';
import { Tabs } from 'radix-ui';
import { lazy, Suspense, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { StatusIcon } from '../../components/issueIcons';
import { Avatar, Banner, Button, cx, ErrorState, inputClass, Skeleton, Spinner } from '../../components/ui';
import { nextStatuses, statusIconProps, statusLabel, statusName } from '../../lib/workflow';
import { NotFoundPage } from '../NotFound';
import { CommentAttachments, IssueAttachments } from './Attachments';
import { CommentBox } from './CommentBox';
import { ConflictBanner } from './ConflictBanner';
import { ParentLink, Relations, SubIssues } from './Hierarchy';
import { useWorkspaceCtx } from './context';
import { keys, useDirectory, type Comment, type Directory, type Issue } from './data';
import { ProjectProperties } from './IssueFields';
import { useProjectWorkflow } from './projectData';
import { FilterMenu, PropertyMenu } from './pickers';
import { assigneeOptions, labelOptions, priorityOptions, typeOptions } from './options';
import { useIssueWrites, type Change } from './writes';

const Markdown = lazy(() => import('../../components/Markdown'));

function Md({ children }: { children: string }) {
  return (
    <Suspense fallback={<p className="text-sm whitespace-pre-wrap">{children}</p>}>
      <Markdown>{children}</Markdown>
    </Suspense>
  );
}

export default function IssueDetail() {
  const { key = '' } = useParams();
  const { slug } = useWorkspaceCtx();
  const q = useQuery({
    queryKey: keys.issue(slug, key),
    queryFn: () => unwrap(api().GET('/v1/issues/{issueId}', { params: { path: { issueId: key } } })),
  });
  if (q.isPending) return <Skeleton rows={10} />;
  if (q.isError) {
    // Another tenant's issue is a 404 exactly like a missing one: one page for both.
    if (isApiError(q.error, 404)) return <NotFoundPage inWorkspace what="issue" />;
    return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  }
  return <Detail issue={q.data} />;
}

function Detail({ issue }: { issue: Issue }) {
  const { slug, me } = useWorkspaceCtx();
  const dir = useDirectory(slug);
  const wf = useProjectWorkflow(slug, issue.project_id);
  const { write, pending, reapply, dismiss } = useIssueWrites(slug);
  const [error, setError] = useState<unknown>();
  const [editingTitle, setEditingTitle] = useState(false);
  const [title, setTitle] = useState(issue.title);
  const [editingDesc, setEditingDesc] = useState(false);
  const [desc, setDesc] = useState(issue.description);
  useEffect(() => {
    document.title = `${issue.key} ${issue.title}`;
  }, [issue.key, issue.title]);

  const change = (c: Change) => {
    setError(undefined);
    return write(issue, c).catch((e) => {
      setError(e);
      return undefined;
    });
  };
  const saveTitle = async () => {
    const t = title.trim();
    if (!t || t === issue.title) return (setEditingTitle(false), setTitle(issue.title));
    if (await change({ kind: 'patch', patch: { title: t } })) setEditingTitle(false);
  };
  const saveDesc = async () => {
    if (desc === issue.description) return setEditingDesc(false);
    if (await change({ kind: 'patch', patch: { description: desc } })) setEditingDesc(false);
  };

  const statusOpts = [issue.status, ...nextStatuses(wf.data, issue.status)].map((s) => ({
    value: s,
    label: statusName(wf.data, s),
    icon: <StatusIcon {...statusIconProps(wf.data, s)} />,
  }));
  const assignee = issue.team_id ? `team:${issue.team_id}` : (issue.assignee_id ?? '');

  return (
    <div className="flex min-h-0 flex-1 flex-col overflow-y-auto lg:flex-row lg:overflow-hidden">
      <article className="min-w-0 flex-1 lg:overflow-y-auto" aria-labelledby="issue-title">
        <nav
          aria-label="Breadcrumb"
          className="flex items-center gap-1 border-b border-line px-6 py-2 text-xs text-muted"
        >
          <Link to={`/w/${slug}/issues`} className="hover:text-ink">
            Issues
          </Link>
          <ChevronRight className="size-3" aria-hidden />
          <span className="font-mono" aria-current="page">
            {issue.key}
          </span>
        </nav>
        <div className="mx-auto max-w-3xl space-y-4 px-6 py-6">
          {pending && (
            <ConflictBanner c={pending} dir={dir} onReapply={() => void reapply()} onDismiss={dismiss} />
          )}
          {error !== undefined && <Banner tone="error">Not saved: {errorMessage(error)}</Banner>}
          <ParentLink slug={slug} issue={issue} />
          {editingTitle ? (
            <input
              aria-label="Title"
              value={title}
              autoFocus
              maxLength={250}
              onChange={(e) => setTitle(e.target.value)}
              onBlur={() => void saveTitle()}
              onKeyDown={(e) => {
                if (e.key === 'Enter') void saveTitle();
                if (e.key === 'Escape') {
                  setTitle(issue.title);
                  setEditingTitle(false);
                }
              }}
              className={inputClass + ' text-xl font-semibold'}
            />
          ) : (
            <h1 id="issue-title" className="group text-xl font-semibold tracking-tight">
              <button
                type="button"
                onClick={() => (setTitle(issue.title), setEditingTitle(true))}
                className="text-left hover:bg-panel rounded px-0.5 -mx-0.5"
                aria-label={`Title: ${issue.title}. Edit title`}
              >
                {issue.title}
              </button>
            </h1>
          )}
          <section aria-label="Description">
            {editingDesc ? (
              <div className="space-y-2">
                <textarea
                  aria-label="Description"
                  value={desc}
                  autoFocus
                  rows={10}
                  onChange={(e) => setDesc(e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void saveDesc();
                    if (e.key === 'Escape') {
                      setDesc(issue.description);
                      setEditingDesc(false);
                    }
                  }}
                  className={inputClass + ' resize-y font-mono text-xs'}
                />
                <div className="flex justify-end gap-2">
                  <Button
                    size="sm"
                    variant="ghost"
                    onClick={() => (setDesc(issue.description), setEditingDesc(false))}
                  >
                    Cancel
                  </Button>
                  <Button size="sm" variant="primary" onClick={() => void saveDesc()}>
                    Save
                  </Button>
                </div>
              </div>
            ) : (
              <div className="group relative">
                {issue.description ? (
                  <Md>{issue.description}</Md>
                ) : (
                  <p className="text-sm text-faint">No description.</p>
                )}
                <Button
                  size="sm"
                  variant="ghost"
                  className="mt-1"
                  onClick={() => (setDesc(issue.description), setEditingDesc(true))}
                >
                  <Pencil className="size-3" aria-hidden /> Edit description
                </Button>
              </div>
            )}
          </section>
          <IssueAttachments issueId={issue.id} dir={dir} />
          <SubIssues slug={slug} issue={issue} />
          <Relations slug={slug} issue={issue} />
          <Tabs.Root defaultValue="comments" className="border-t border-line pt-4">
            <Tabs.List aria-label="Discussion and history" className="mb-4 flex gap-1 text-sm">
              {['comments', 'activity', 'history'].map((t) => (
                <Tabs.Trigger
                  key={t}
                  value={t}
                  className="rounded-md px-2 py-1 text-muted hover:bg-panel data-[state=active]:bg-panel data-[state=active]:font-medium data-[state=active]:text-ink"
                >
                  {t === 'history' ? 'Status history' : t === 'activity' ? 'Activity' : 'Comments'}
                </Tabs.Trigger>
              ))}
            </Tabs.List>
            <Tabs.Content value="comments">
              <Comments issue={issue} dir={dir} meId={me.user.id} />
            </Tabs.Content>
            <Tabs.Content value="activity">
              <Activity issue={issue} dir={dir} />
            </Tabs.Content>
            <Tabs.Content value="history">
              <History issue={issue} dir={dir} name={(s) => statusName(wf.data, s)} />
            </Tabs.Content>
          </Tabs.Root>
        </div>
      </article>
      <aside
        aria-label="Properties"
        className="shrink-0 border-t border-line bg-panel/50 p-4 lg:w-72 lg:overflow-y-auto lg:border-t-0 lg:border-l"
      >
        <dl className="grid grid-cols-[5.5rem_1fr] items-center gap-y-1 text-sm">
          <dt className="text-xs text-muted">Status</dt>
          <dd>
            <PropertyMenu
              label="Status"
              value={issue.status}
              options={statusOpts}
              onChange={(to) => to !== issue.status && void change({ kind: 'transition', to })}
            />
          </dd>
          <dt className="text-xs text-muted">Priority</dt>
          <dd>
            <PropertyMenu
              label="Priority"
              value={issue.priority}
              options={priorityOptions}
              onChange={(v) => void change({ kind: 'patch', patch: { priority: v as Issue['priority'] } })}
            />
          </dd>
          <dt className="text-xs text-muted">Type</dt>
          <dd>
            <PropertyMenu
              label="Type"
              value={issue.type}
              options={typeOptions}
              onChange={(v) => void change({ kind: 'patch', patch: { type: v as Issue['type'] } })}
            />
          </dd>
          <dt className="text-xs text-muted">Assignee</dt>
          <dd>
            <PropertyMenu
              label="Assignee"
              value={assignee}
              options={assigneeOptions(dir, me.user.id)}
              onChange={(v) =>
                void change({
                  kind: 'patch',
                  patch: v.startsWith('team:')
                    ? { team_id: v.slice(5), assignee_id: null }
                    : { assignee_id: v || null, team_id: null },
                })
              }
            />
          </dd>
          <dt className="text-xs text-muted">Labels</dt>
          <dd className="flex flex-wrap items-center gap-1 py-1">
            {issue.labels.map((id) => {
              const l = dir.label(id);
              return (
                <span
                  key={id}
                  className="inline-flex items-center gap-1 rounded-full border border-line bg-white px-1.5 text-2xs"
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
            <FilterMenu
              label="Labels"
              options={labelOptions(dir)}
              values={issue.labels}
              onToggle={(v) =>
                void change({
                  kind: 'patch',
                  patch: {
                    labels: issue.labels.includes(v)
                      ? issue.labels.filter((x) => x !== v)
                      : [...issue.labels, v],
                  },
                })
              }
            />
          </dd>
          <dt className="text-xs text-muted">
            <label htmlFor="due">Due date</label>
          </dt>
          <dd>
            <input
              id="due"
              type="date"
              value={issue.due_date ?? ''}
              onChange={(e) => void change({ kind: 'patch', patch: { due_date: e.target.value || null } })}
              className="h-7 rounded-md bg-transparent px-2 text-sm hover:bg-panel"
            />
          </dd>
          <ProjectProperties issue={issue} dir={dir} change={change} onError={setError} />
          <dt className="text-xs text-muted">Reporter</dt>
          <dd className="px-2 text-sm">{dir.userName(issue.reporter_id)}</dd>
          <dt className="text-xs text-muted">Created</dt>
          <dd className="px-2 text-sm" title={issue.created_at}>
            {format(parseISO(issue.created_at), 'd MMM yyyy')}
          </dd>
          <dt className="text-xs text-muted">Updated</dt>
          <dd className="px-2 text-sm" title={issue.updated_at}>
            {formatDistanceToNowStrict(parseISO(issue.updated_at), { addSuffix: true })}
          </dd>
        </dl>
      </aside>
    </div>
  );
}

function Comments({ issue, dir, meId }: { issue: Issue; dir: Directory; meId: string }) {
  const { slug, me } = useWorkspaceCtx();
  const qc = useQueryClient();
  const key = keys.comments(slug, issue.id);
  const q = useQuery({
    queryKey: key,
    queryFn: async () => {
      const out: Comment[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 20; i++) {
        const p = await unwrap(
          api().GET('/v1/issues/{issueId}/comments', {
            params: { path: { issueId: issue.id }, query: { limit: 100, cursor } },
          }),
        );
        out.push(...p.items);
        if (!p.next_cursor) break;
        cursor = p.next_cursor;
      }
      return out;
    },
  });
  const [replyTo, setReplyTo] = useState<string>();
  const [editing, setEditing] = useState<string>();
  const [err, setErr] = useState<{ where: string; msg: string }>();
  const post = useMutation({
    mutationFn: (v: { body: string; parent_id?: string }) =>
      unwrap(
        api().POST('/v1/issues/{issueId}/comments', {
          params: { path: { issueId: issue.id }, header: { 'Idempotency-Key': crypto.randomUUID() } },
          body: v,
        }),
      ),
    onSuccess: (c) => qc.setQueryData<Comment[]>(key, (old) => [...(old ?? []), c]),
  });
  const edit = useMutation({
    mutationFn: (v: { id: string; body: string }) =>
      unwrap(
        api().PATCH('/v1/issues/{issueId}/comments/{commentId}', {
          params: { path: { issueId: issue.id, commentId: v.id } },
          body: { body: v.body },
        }),
      ),
    onSuccess: (c) =>
      qc.setQueryData<Comment[]>(key, (old) => (old ?? []).map((x) => (x.id === c.id ? c : x))),
  });
  const del = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api().DELETE('/v1/issues/{issueId}/comments/{commentId}', {
          params: { path: { issueId: issue.id, commentId: id } },
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: key }),
  });
  const submit = (where: string, fn: () => Promise<unknown>) => async () => {
    setErr(undefined);
    try {
      await fn();
      return true;
    } catch (e) {
      const fe = isApiError(e) ? e.fieldErrors().body : undefined;
      setErr({ where, msg: fe ? `Comment ${fe}` : errorMessage(e) });
      return false;
    }
  };

  if (q.isPending) return <Spinner label="Loading comments" />;
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  const roots = q.data.filter((c) => !c.parent_id);
  const replies = (id: string) => q.data.filter((c) => c.parent_id === id);
  const isAdmin = me.user.role === 'admin' || me.user.role === 'super_admin';

  const one = (c: Comment, depth: number) => (
    <li key={c.id} className={cx(depth > 0 && 'ml-6 border-l border-line pl-4')} data-testid="comment">
      <div className="flex items-center gap-2 text-xs">
        <Avatar name={dir.userName(c.author_id)} />
        <span className="font-medium">{dir.userName(c.author_id)}</span>
        <time className="text-muted" dateTime={c.created_at} title={c.created_at}>
          {formatDistanceToNowStrict(parseISO(c.created_at), { addSuffix: true })}
        </time>
        {c.edited_at && !c.deleted_at && <span className="text-faint">(edited)</span>}
      </div>
      <div className="mt-1 pl-7">
        {c.deleted_at ? (
          <p className="text-sm text-faint italic">This comment was deleted.</p>
        ) : editing === c.id ? (
          <CommentBox
            label="Edit comment"
            users={dir.users}
            initial={c.body}
            autoFocus
            submitLabel="Save"
            busy={edit.isPending}
            error={err?.where === `edit:${c.id}` ? err.msg : undefined}
            onCancel={() => setEditing(undefined)}
            onSubmit={async (body) => {
              const ok = await submit(`edit:${c.id}`, () => edit.mutateAsync({ id: c.id, body }))();
              if (ok) setEditing(undefined);
              return ok;
            }}
          />
        ) : (
          <Md>{c.body}</Md>
        )}
        {!c.deleted_at && (
          <CommentAttachments
            issueId={issue.id}
            commentId={c.id}
            dir={dir}
            canAttach={c.author_id === meId && editing !== c.id}
          />
        )}
        {!c.deleted_at && editing !== c.id && (
          <div className="mt-1 flex gap-1 text-xs">
            {depth === 0 && (
              <Button
                size="sm"
                variant="ghost"
                onClick={() => setReplyTo(replyTo === c.id ? undefined : c.id)}
              >
                <CornerDownRight className="size-3" aria-hidden /> Reply
              </Button>
            )}
            {c.author_id === meId && (
              <Button size="sm" variant="ghost" onClick={() => setEditing(c.id)}>
                <Pencil className="size-3" aria-hidden /> Edit
              </Button>
            )}
            {(c.author_id === meId || isAdmin) && (
              <Button
                size="sm"
                variant="ghost"
                onClick={() => confirm('Delete this comment?') && del.mutate(c.id)}
              >
                <Trash2 className="size-3" aria-hidden /> Delete
              </Button>
            )}
          </div>
        )}
      </div>
      {(replies(c.id).length > 0 || replyTo === c.id) && (
        <ul className="mt-3 space-y-4">
          {replies(c.id).map((r) => one(r, depth + 1))}
          {replyTo === c.id && (
            <li className="ml-6 border-l border-line pl-4">
              <CommentBox
                label={`Reply to ${dir.userName(c.author_id)}`}
                users={dir.users}
                autoFocus
                placeholder="Write a reply…"
                submitLabel="Reply"
                busy={post.isPending}
                error={err?.where === `reply:${c.id}` ? err.msg : undefined}
                onCancel={() => setReplyTo(undefined)}
                onSubmit={async (body) => {
                  const ok = await submit(`reply:${c.id}`, () =>
                    post.mutateAsync({ body, parent_id: c.id }),
                  )();
                  if (ok) setReplyTo(undefined);
                  return ok;
                }}
              />
            </li>
          )}
        </ul>
      )}
    </li>
  );

  return (
    <div className="space-y-6">
      {roots.length === 0 ? (
        <p className="text-sm text-muted">No comments yet. Start the discussion.</p>
      ) : (
        <ul className="space-y-5" aria-label="Comments">
          {roots.map((c) => one(c, 0))}
        </ul>
      )}
      <CommentBox
        label="New comment"
        users={dir.users}
        busy={post.isPending}
        error={err?.where === 'new' ? err.msg : undefined}
        onSubmit={(body) => submit('new', () => post.mutateAsync({ body }))()}
      />
    </div>
  );
}

const FIELD: Record<string, string> = {
  assignee_id: 'assignee',
  team_id: 'team',
  due_date: 'due date',
  started_at: 'started',
  closed_at: 'closed',
};

function fmt(field: string, v: unknown, d: Directory): string {
  if (v === null || v === undefined || v === '') return 'none';
  if (field === 'status') return statusLabel(String(v));
  if (field === 'assignee_id') return d.userName(String(v));
  if (field === 'team_id') return d.team(String(v))?.name ?? 'a team';
  if (field === 'labels' && Array.isArray(v))
    return v.map((id) => d.label(String(id))?.name ?? id).join(', ') || 'none';
  if (field === 'description') return '…';
  if (field.endsWith('_at')) return format(parseISO(String(v)), 'd MMM yyyy HH:mm');
  return String(v);
}

function Activity({ issue, dir }: { issue: Issue; dir: Directory }) {
  const { slug } = useWorkspaceCtx();
  const q = useQuery({
    queryKey: keys.activity(slug, issue.id),
    queryFn: () =>
      unwrap(
        api().GET('/v1/issues/{issueId}/activity', {
          params: { path: { issueId: issue.id }, query: { limit: 100 } },
        }),
      ),
  });
  if (q.isPending) return <Spinner label="Loading activity" />;
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  if (q.data.items.length === 0) return <p className="text-sm text-muted">No activity yet.</p>;
  return (
    <ol className="space-y-2 text-sm" aria-label="Activity">
      {q.data.items.map((a) => (
        <li key={a.id} className="flex gap-2">
          <Avatar name={dir.userName(a.actor_id)} />
          <div className="min-w-0">
            <span className="font-medium">{dir.userName(a.actor_id)}</span>{' '}
            {a.action === 'created'
              ? 'created the issue'
              : a.changes
                  .filter((c) => c.field !== 'category')
                  .map((c) =>
                    c.field === 'description'
                      ? 'edited the description'
                      : `set ${FIELD[c.field] ?? c.field} to ${fmt(c.field, c.to, dir)}`,
                  )
                  .join(', ')}{' '}
            <time className="text-xs text-muted" dateTime={a.at}>
              {formatDistanceToNowStrict(parseISO(a.at), { addSuffix: true })}
            </time>
          </div>
        </li>
      ))}
    </ol>
  );
}

function History({ issue, dir, name }: { issue: Issue; dir: Directory; name: (s: string) => string }) {
  const { slug } = useWorkspaceCtx();
  const q = useQuery({
    queryKey: keys.history(slug, issue.id),
    queryFn: () =>
      unwrap(
        api().GET('/v1/issues/{issueId}/history', {
          params: { path: { issueId: issue.id }, query: { limit: 100 } },
        }),
      ),
  });
  if (q.isPending) return <Spinner label="Loading history" />;
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  return (
    <ol className="space-y-2 text-sm" aria-label="Status history">
      {q.data.items.map((h) => (
        <li key={h.id} className="flex items-center gap-2">
          <StatusIcon status={h.to} name={name(h.to)} />
          <span>
            {h.from ? `${name(h.from)} → ` : 'Created as '}
            <strong>{name(h.to)}</strong> by {dir.userName(h.actor_id)}
          </span>
          <time className="text-xs text-muted" dateTime={h.at}>
            {format(parseISO(h.at), 'd MMM yyyy HH:mm')}
          </time>
        </li>
      ))}
    </ol>
  );
}
