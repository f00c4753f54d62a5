import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Tag } from 'lucide-react';
import { useRef, useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { Modal } from '../../components/Modal';
import { CatalogPage, TableHead } from '../../components/CatalogPage';
import { rowClass, tableClass } from '../../components/page';
import { Banner, Button, Field, Input } from '../../components/ui';
import { can } from '../../lib/permissions';
import { useWorkspaceCtx } from '../workspace/context';
import { keys, useLabels, type Label } from '../workspace/data';

const SWATCHES = ['#e5484d', '#f76b15', '#ffc53d', '#30a46c', '#12a594', '#0090ff', '#6e56cf', '#8d8d8d'];

/** The label catalog (Admins and Super Admins create, rename, recolor and delete labels). */
export default function Labels() {
  const { slug, me } = useWorkspaceCtx();
  const labels = useLabels(slug);
  const manage = can(me.user.role, 'createLabel');
  const [editing, setEditing] = useState<Label | 'new' | null>(null);
  return (
    <CatalogPage
      title="Labels"
      description="The labels people can put on issues."
      newLabel="New label"
      onNew={manage ? () => setEditing('new') : undefined}
      query={labels}
      empty={{ icon: <Tag className="size-6" />, title: 'No labels yet' }}
      after={
        manage &&
        editing && (
          <LabelDialog label={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />
        )
      }
    >
      {(items) => (
        <table className={tableClass} aria-label="Labels">
          <TableHead
            columns={['Label', 'Colour', ...(manage ? [{ label: 'Actions', hidden: true as const }] : [])]}
          />
          <tbody>
            {items.map((l) => (
              <tr key={l.id} className={rowClass} data-testid="label-row">
                <td className="px-3 py-2">
                  <span className="inline-flex items-center gap-1.5">
                    <span
                      className="size-2.5 rounded-full"
                      style={{ backgroundColor: l.color }}
                      aria-hidden
                    />
                    {l.name}
                  </span>
                </td>
                <td className="px-3 py-2 font-mono text-xs text-muted">{l.color}</td>
                {manage && (
                  <td className="px-3 py-2 text-right">
                    <Button size="sm" variant="ghost" onClick={() => setEditing(l)}>
                      Edit<span className="sr-only"> {l.name}</span>
                    </Button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </CatalogPage>
  );
}

function LabelDialog({ label, onClose }: { label?: Label; onClose: () => void }) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [name, setName] = useState(label?.name ?? '');
  const [color, setColor] = useState(label?.color ?? SWATCHES[5]!);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const idem = useRef(crypto.randomUUID());
  const done = async () => {
    onClose();
    await qc.invalidateQueries({ queryKey: keys.labels(slug) });
  };
  const save = useMutation({
    mutationFn: () => {
      const body = { name: name.trim(), color };
      return label
        ? unwrap(api().PATCH('/v1/labels/{labelId}', { params: { path: { labelId: label.id } }, body }))
        : unwrap(api().POST('/v1/labels', { params: { header: { 'Idempotency-Key': idem.current } }, body }));
    },
    onSuccess: done,
    onError: (e) => isApiError(e) && setErrors(e.fieldErrors()),
  });
  const del = useMutation({
    mutationFn: () =>
      unwrap(api().DELETE('/v1/labels/{labelId}', { params: { path: { labelId: label!.id } } })),
    onSuccess: done,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setErrors({ name: 'Give the label a name.' });
    setErrors({});
    save.mutate();
  };
  const err = save.error ?? del.error;
  return (
    <Modal open onOpenChange={(o) => !o && onClose()} title={label ? `Edit ${label.name}` : 'New label'}>
      <form onSubmit={submit} noValidate className="space-y-4 p-4">
        {err && !Object.keys(errors).length && <Banner tone="error">{errorMessage(err)}</Banner>}
        <Field label="Name" error={errors.name}>
          {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} autoFocus />}
        </Field>
        <fieldset>
          <legend className="mb-1 text-xs font-medium">Colour</legend>
          <div className="flex flex-wrap items-center gap-2">
            {SWATCHES.map((c) => (
              <button
                key={c}
                type="button"
                aria-label={c}
                aria-pressed={color === c}
                onClick={() => setColor(c)}
                className="size-6 rounded-full ring-offset-2 aria-pressed:ring-2 aria-pressed:ring-ink"
                style={{ backgroundColor: c }}
              />
            ))}
            <input
              type="color"
              aria-label="Custom colour"
              value={color}
              onChange={(e) => setColor(e.target.value)}
              className="h-6 w-8 cursor-pointer"
            />
          </div>
          {errors.color && (
            <p role="alert" className="mt-1 text-xs text-red-700">
              {errors.color}
            </p>
          )}
        </fieldset>
        <div className="flex items-center gap-2">
          {label && (
            <Button type="button" variant="danger" busy={del.isPending} onClick={() => del.mutate()}>
              Delete label
            </Button>
          )}
          <span className="flex-1" />
          <Button type="button" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {label ? 'Save' : 'Create label'}
          </Button>
        </div>
      </form>
    </Modal>
  );
}
