import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { CornerLeftUp, Plus, X } from 'lucide-react';
import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { StatusIcon } from '../../components/issueIcons';
import { Button, inputClass } from '../../components/ui';
import { keys, type Issue } from './data';

export const RELATION_LABEL: Record<string, string> = {
  blocks: 'Blocks',
  blocked_by: 'Blocked by',
  duplicates: 'Duplicates',
  duplicated_by: 'Duplicated by',
  relates_to: 'Related to',
};

const childrenKey = (slug: string, id: string) => ['w', slug, 'issues', 'children', id] as const;
const relationsKey = (slug: string, id: string) => ['w', slug, 'relations', id] as const;

/** "Sub-issue of KEY-1" above the title of a sub-issue. */
export function ParentLink({ slug, issue }: { slug: string; issue: Issue }) {
  const parent = useQuery({
    queryKey: keys.issue(slug, issue.parent_id ?? ''),
    queryFn: () =>
      unwrap(api().GET('/v1/issues/{issueId}', { params: { path: { issueId: issue.parent_id! } } })),
    enabled: !!issue.parent_id,
  });
  if (!issue.parent_id || !parent.data) return null;
  return (
    <p className="flex items-center gap-1 text-xs text-muted" data-testid="parent-link">
      <CornerLeftUp className="size-3" aria-hidden /> Sub-issue of{' '}
      <Link
        to={`/w/${slug}/issues/${parent.data.key}`}
        className="font-mono text-ink underline underline-offset-2"
      >
        {parent.data.key}
      </Link>{' '}
      <span className="truncate">{parent.data.title}</span>
    </p>
  );
}

/** The issue's sub-issues with their progress, and a field to add one. */
export function SubIssues({ slug, issue }: { slug: string; issue: Issue }) {
  const qc = useQueryClient();
  const children = useQuery({
    queryKey: childrenKey(slug, issue.id),
    queryFn: () =>
      unwrap(
        api().GET('/v1/issues', {
          params: { query: { parent: issue.id, limit: 100, sort: 'created', order: 'asc' } },
        }),
      ),
  });
  const [title, setTitle] = useState('');
  const [adding, setAdding] = useState(false);
  const idem = useRef(crypto.randomUUID());
  const add = useMutation({
    mutationFn: (t: string) =>
      unwrap(
        api().POST('/v1/issues', {
          params: { header: { 'Idempotency-Key': idem.current } },
          body: { title: t, parent_id: issue.id, project_id: issue.project_id },
        }),
      ),
    onSuccess: async () => {
      idem.current = crypto.randomUUID();
      setTitle('');
      await qc.invalidateQueries({ queryKey: childrenKey(slug, issue.id) });
      await qc.invalidateQueries({ queryKey: keys.issue(slug, issue.key) });
    },
    onError: () => {
      idem.current = crypto.randomUUID();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (title.trim()) add.mutate(title.trim());
  };
  const items = children.data?.items ?? [];
  const p = issue.progress;
  const total = p?.total ?? items.length;
  const done = p?.completed ?? items.filter((i) => i.category === 'completed').length;
  if (!adding && items.length === 0)
    return (
      <div>
        <Button size="sm" variant="ghost" onClick={() => setAdding(true)}>
          <Plus className="size-3.5" aria-hidden /> Add sub-issue
        </Button>
      </div>
    );
  return (
    <section aria-labelledby="sub-issues-title" className="rounded-lg border border-line">
      <div className="flex items-center gap-2 border-b border-line px-3 py-2">
        <h2 id="sub-issues-title" className="text-sm font-semibold">
          Sub-issues
        </h2>
        {total > 0 && (
          <>
            <span className="text-xs text-muted" data-testid="sub-progress">
              {done} of {total} done
            </span>
            <div
              role="progressbar"
              aria-label="Sub-issues done"
              aria-valuemin={0}
              aria-valuemax={total}
              aria-valuenow={done}
              className="h-1.5 w-24 overflow-hidden rounded-full bg-panel"
            >
              <div className="h-full bg-green-600" style={{ width: `${(done / total) * 100}%` }} />
            </div>
          </>
        )}
      </div>
      <ul aria-label="Sub-issues">
        {items.map((c) => (
          <li key={c.id} className="border-b border-line/70 last:border-0" data-testid="sub-issue">
            <Link
              to={`/w/${slug}/issues/${c.key}`}
              className="flex items-center gap-2 px-3 py-1.5 text-sm hover:bg-panel"
            >
              <StatusIcon status={c.status} />
              <span className="min-w-16 shrink-0 font-mono text-xs whitespace-nowrap text-muted">
                {c.key}
              </span>
              <span className="truncate">{c.title}</span>
            </Link>
          </li>
        ))}
      </ul>
      <form onSubmit={submit} className="flex items-center gap-2 border-t border-line px-3 py-2">
        <input
          aria-label="New sub-issue title"
          placeholder="Sub-issue title"
          value={title}
          maxLength={250}
          onChange={(e) => setTitle(e.target.value)}
          className={inputClass + ' h-7 py-0 text-xs'}
        />
        <Button size="sm" type="submit" busy={add.isPending} disabled={!title.trim()}>
          Add sub-issue
        </Button>
      </form>
      {add.isError && (
        <p role="alert" className="px-3 pb-2 text-xs text-red-700">
          {errorMessage(add.error)}
        </p>
      )}
    </section>
  );
}

/** Relations seen from this issue (blocks, blocked by, duplicates, duplicated by, related to): add and remove. */
export function Relations({ slug, issue }: { slug: string; issue: Issue }) {
  const qc = useQueryClient();
  const rel = useQuery({
    queryKey: relationsKey(slug, issue.id),
    queryFn: () =>
      unwrap(api().GET('/v1/issues/{issueId}/relations', { params: { path: { issueId: issue.id } } })),
  });
  const [type, setType] = useState('blocks');
  const [other, setOther] = useState('');
  const [fieldError, setFieldError] = useState('');
  const idem = useRef(crypto.randomUUID());
  const refresh = () => qc.invalidateQueries({ queryKey: ['w', slug, 'relations'] });
  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api().POST('/v1/issues/{issueId}/relations', {
          params: { path: { issueId: issue.id }, header: { 'Idempotency-Key': idem.current } },
          body: { type, issue_id: other.trim().toUpperCase() },
        }),
      ),
    onSuccess: async () => {
      idem.current = crypto.randomUUID();
      setOther('');
      setFieldError('');
      await refresh();
    },
    onError: (e) => {
      idem.current = crypto.randomUUID();
      setFieldError(
        isApiError(e)
          ? (e.fieldErrors().issue_id ?? e.fieldErrors().type ?? errorMessage(e))
          : errorMessage(e),
      );
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api().DELETE('/v1/issues/{issueId}/relations/{relationId}', {
          params: { path: { issueId: issue.id, relationId: id } },
        }),
      ),
    onSuccess: refresh,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!other.trim()) return setFieldError('Give the other issue’s key, e.g. WEB-12.');
    add.mutate();
  };
  const links = rel.data?.items ?? [];
  const types = Object.keys(RELATION_LABEL).filter((t) => links.some((l) => l.type === t));
  return (
    <section aria-labelledby="relations-title" className="rounded-lg border border-line">
      <h2 id="relations-title" className="border-b border-line px-3 py-2 text-sm font-semibold">
        Relations
      </h2>
      {rel.isError && <p className="px-3 py-2 text-xs text-red-700">{errorMessage(rel.error)}</p>}
      {types.map((t) => (
        <div key={t} className="border-b border-line/70 px-3 py-1.5">
          <h3 className="text-2xs font-semibold text-muted">{RELATION_LABEL[t]}</h3>
          <ul aria-label={RELATION_LABEL[t]}>
            {links
              .filter((l) => l.type === t)
              .map((l) => (
                <li key={l.id} className="flex items-center gap-2 py-0.5 text-sm" data-testid="relation">
                  <StatusIcon status={l.issue.status} />
                  <Link
                    to={`/w/${slug}/issues/${l.issue.key}`}
                    className="font-mono text-xs text-ink underline underline-offset-2"
                  >
                    {l.issue.key}
                  </Link>
                  <span className="min-w-0 flex-1 truncate">{l.issue.title}</span>
                  <button
                    type="button"
                    className="rounded p-0.5 text-muted hover:bg-panel hover:text-ink"
                    aria-label={`Remove relation ${RELATION_LABEL[t]} ${l.issue.key}`}
                    onClick={() => remove.mutate(l.id)}
                  >
                    <X className="size-3.5" aria-hidden />
                  </button>
                </li>
              ))}
          </ul>
        </div>
      ))}
      <form onSubmit={submit} noValidate className="flex flex-wrap items-center gap-2 px-3 py-2">
        <select
          aria-label="Relation type"
          value={type}
          onChange={(e) => setType(e.target.value)}
          className={inputClass + ' h-7 w-auto py-0 text-xs'}
        >
          {Object.entries(RELATION_LABEL).map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
        <input
          aria-label="Other issue key"
          placeholder="Issue key, e.g. WEB-12"
          value={other}
          onChange={(e) => setOther(e.target.value)}
          aria-invalid={fieldError ? true : undefined}
          aria-describedby={fieldError ? 'relation-error' : undefined}
          className={inputClass + ' h-7 w-44 py-0 font-mono text-xs'}
        />
        <Button size="sm" type="submit" busy={add.isPending}>
          Add relation
        </Button>
        {fieldError && (
          <p id="relation-error" role="alert" className="w-full text-xs text-red-700">
            {fieldError}
          </p>
        )}
        {remove.isError && (
          <p role="alert" className="w-full text-xs text-red-700">
            {errorMessage(remove.error)}
          </p>
        )}
      </form>
    </section>
  );
}
