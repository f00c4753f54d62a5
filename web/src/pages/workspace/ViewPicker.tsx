import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Check, ChevronDown, Layers } from 'lucide-react';
import { DropdownMenu } from 'radix-ui';
import { useRef, useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { Modal } from '../../components/Modal';
import { Banner, Button, Field, Input } from '../../components/ui';
import { atLeast } from '../../lib/permissions';
import { viewInput } from '../../lib/views';
import type { IssueFilters } from '../../lib/filters';
import { useWorkspaceCtx } from './context';
import { keys, type View } from './data';

const itemCls =
  'flex cursor-default items-center gap-2 rounded px-2 py-1.5 text-sm outline-none select-none data-highlighted:bg-panel data-disabled:opacity-50';

/** The saved-view menu of the issue list: open a view (private or shared), save the list as a new
 * view, save changes to the open one, rename or delete it, export it as CSV or JSON. */
export function ViewPicker({
  views,
  current,
  modified,
  filters,
  onOpen,
}: {
  views: View[];
  current?: View;
  modified: boolean;
  filters: IssueFilters;
  onOpen: (v: View | undefined) => void;
}) {
  const { slug, me } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [dialog, setDialog] = useState<'new' | 'rename' | null>(null);
  const [exportError, setExportError] = useState<unknown>(null);
  const mine = views.filter((v) => v.visibility === 'private');
  const shared = views.filter((v) => v.visibility === 'shared');
  const mayChange = !!current && (current.owner_id === me.user.id || atLeast(me.user.role, 'admin'));
  const update = useMutation({
    mutationFn: () =>
      unwrap(
        api().PATCH('/v1/views/{viewId}', {
          params: { path: { viewId: current!.id } },
          body: viewInput(filters),
        }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.views(slug) }),
  });
  const del = useMutation({
    mutationFn: () =>
      unwrap(api().DELETE('/v1/views/{viewId}', { params: { path: { viewId: current!.id } } })),
    onSuccess: async () => {
      onOpen(undefined);
      await qc.invalidateQueries({ queryKey: keys.views(slug) });
    },
  });
  const exp = async (format: 'csv' | 'json') => {
    setExportError(null);
    try {
      await exportView(current!, format);
    } catch (e) {
      setExportError(e);
    }
  };
  const item = (v: View) => (
    <DropdownMenu.Item key={v.id} className={itemCls} onSelect={() => onOpen(v)}>
      <span className="flex size-3.5 items-center">
        {current?.id === v.id && <Check className="size-3.5" aria-hidden />}
      </span>
      <span className="truncate">{v.name}</span>
    </DropdownMenu.Item>
  );
  const err = update.error ?? del.error ?? exportError;
  return (
    <>
      <DropdownMenu.Root>
        <DropdownMenu.Trigger asChild>
          <button
            type="button"
            className="inline-flex h-7 max-w-56 items-center gap-1 rounded-md border border-line px-2 text-xs hover:bg-panel"
            aria-label={`View: ${current ? current.name : 'All issues'}${modified ? ' (changed)' : ''}`}
            data-testid="view-picker"
          >
            <Layers className="size-3.5 text-muted" aria-hidden />
            <span className="truncate">{current ? current.name : 'All issues'}</span>
            {modified && <span className="text-muted">• changed</span>}
            <ChevronDown className="size-3" aria-hidden />
          </button>
        </DropdownMenu.Trigger>
        <DropdownMenu.Portal>
          <DropdownMenu.Content
            align="start"
            sideOffset={4}
            className="z-50 max-h-96 min-w-56 overflow-y-auto rounded-lg border border-line bg-white p-1 shadow-lg"
          >
            <DropdownMenu.Item className={itemCls} onSelect={() => onOpen(undefined)}>
              <span className="flex size-3.5 items-center">
                {!current && <Check className="size-3.5" aria-hidden />}
              </span>
              All issues
            </DropdownMenu.Item>
            {mine.length > 0 && (
              <DropdownMenu.Label className="px-2 pt-2 pb-1 text-2xs font-semibold text-muted">
                My views
              </DropdownMenu.Label>
            )}
            {mine.map(item)}
            {shared.length > 0 && (
              <DropdownMenu.Label className="px-2 pt-2 pb-1 text-2xs font-semibold text-muted">
                Shared views
              </DropdownMenu.Label>
            )}
            {shared.map(item)}
            <DropdownMenu.Separator className="my-1 h-px bg-line" />
            <DropdownMenu.Item className={itemCls} onSelect={() => setDialog('new')}>
              Save as new view…
            </DropdownMenu.Item>
            {current && mayChange && (
              <>
                <DropdownMenu.Item className={itemCls} disabled={!modified} onSelect={() => update.mutate()}>
                  Save changes to “{current.name}”
                </DropdownMenu.Item>
                <DropdownMenu.Item className={itemCls} onSelect={() => setDialog('rename')}>
                  Rename view…
                </DropdownMenu.Item>
                <DropdownMenu.Item className={itemCls} onSelect={() => del.mutate()}>
                  Delete view
                </DropdownMenu.Item>
              </>
            )}
            {current && (
              <>
                <DropdownMenu.Separator className="my-1 h-px bg-line" />
                <DropdownMenu.Item className={itemCls} onSelect={() => void exp('csv')}>
                  Export as CSV
                </DropdownMenu.Item>
                <DropdownMenu.Item className={itemCls} onSelect={() => void exp('json')}>
                  Export as JSON
                </DropdownMenu.Item>
              </>
            )}
          </DropdownMenu.Content>
        </DropdownMenu.Portal>
      </DropdownMenu.Root>
      {err ? (
        <span role="alert" className="text-xs text-red-700">
          {errorMessage(err)}
        </span>
      ) : null}
      {dialog && (
        <ViewDialog
          view={dialog === 'rename' ? current : undefined}
          filters={filters}
          onClose={() => setDialog(null)}
          onSaved={(v) => {
            setDialog(null);
            onOpen(v);
          }}
        />
      )}
    </>
  );
}

function ViewDialog({
  view,
  filters,
  onClose,
  onSaved,
}: {
  view?: View;
  filters: IssueFilters;
  onClose: () => void;
  onSaved: (v: View) => void;
}) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [name, setName] = useState(view?.name ?? '');
  const [visibility, setVisibility] = useState(view?.visibility ?? 'private');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const idem = useRef(crypto.randomUUID());
  const save = useMutation({
    mutationFn: () =>
      view
        ? unwrap(
            api().PATCH('/v1/views/{viewId}', {
              params: { path: { viewId: view.id } },
              body: { name: name.trim(), visibility },
            }),
          )
        : unwrap(
            api().POST('/v1/views', {
              params: { header: { 'Idempotency-Key': idem.current } },
              body: { ...viewInput(filters), name: name.trim(), visibility },
            }),
          ),
    onSuccess: async (v) => {
      await qc.invalidateQueries({ queryKey: keys.views(slug) });
      onSaved(v);
    },
    onError: (e) => {
      idem.current = crypto.randomUUID();
      if (isApiError(e)) setErrors(e.fieldErrors());
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setErrors({ name: 'Give the view a name.' });
    setErrors({});
    save.mutate();
  };
  return (
    <Modal open onOpenChange={(o) => !o && onClose()} title={view ? `Rename ${view.name}` : 'Save view'}>
      <form onSubmit={submit} noValidate className="space-y-4 p-4">
        {save.error && !Object.keys(errors).length && (
          <Banner tone="error">{errorMessage(save.error)}</Banner>
        )}
        {!view && (
          <p className="text-xs text-muted">
            Saves the filters, sort, grouping and columns of the list (not the search words).
          </p>
        )}
        <Field label="Name" error={errors.name}>
          {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} autoFocus />}
        </Field>
        <fieldset>
          <legend className="mb-1 text-xs font-medium">Who sees it</legend>
          <label className="mr-4 inline-flex items-center gap-1.5 text-sm">
            <input
              type="radio"
              name="visibility"
              checked={visibility === 'private'}
              onChange={() => setVisibility('private')}
            />
            Only me
          </label>
          <label className="inline-flex items-center gap-1.5 text-sm">
            <input
              type="radio"
              name="visibility"
              checked={visibility === 'shared'}
              onChange={() => setVisibility('shared')}
            />
            Everyone in the workspace
          </label>
          {errors.visibility && (
            <p role="alert" className="mt-1 text-xs text-red-700">
              {errors.visibility}
            </p>
          )}
        </fieldset>
        {Object.entries(errors)
          .filter(([k]) => k !== 'name' && k !== 'visibility')
          .map(([k, v]) => (
            <p key={k} role="alert" className="text-xs text-red-700">
              {k}: {v}
            </p>
          ))}
        <div className="flex justify-end gap-2">
          <Button type="button" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {view ? 'Save' : 'Save view'}
          </Button>
        </div>
      </form>
    </Modal>
  );
}

/** Downloads every slice of a view's export (GET /v1/views/{id}/export, 1,000 issues a call) as one file. */
export async function exportView(v: View, format: 'csv' | 'json') {
  let cursor: string | undefined;
  const csv: string[] = [];
  const items: unknown[] = [];
  let columns: string[] = [];
  for (let i = 0; i < 100; i++) {
    if (format === 'csv') {
      const r = await api().GET('/v1/views/{viewId}/export', {
        params: { path: { viewId: v.id }, query: { format, cursor } },
        parseAs: 'text',
      });
      const text = await unwrap(Promise.resolve(r));
      csv.push(i === 0 ? text : text.slice(text.indexOf('\n') + 1));
      cursor = r.response.headers.get('Next-Cursor') ?? undefined;
    } else {
      const r = await unwrap(
        api().GET('/v1/views/{viewId}/export', {
          params: { path: { viewId: v.id }, query: { format, cursor } },
        }),
      );
      columns = r.columns;
      items.push(...r.items);
      cursor = r.next_cursor || undefined;
    }
    if (!cursor) break;
  }
  const body = format === 'csv' ? csv.join('') : JSON.stringify({ view: v, columns, items }, null, 2);
  const blob = new Blob([body], { type: format === 'csv' ? 'text/csv' : 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${v.name.replace(/[^\w.-]+/g, '-')}.${format}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
