import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ListPlus, Plus, Trash2 } from 'lucide-react';
import { useRef, useState, type FormEvent } from 'react';
import { api, etag, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { TableHead } from '../../components/CatalogPage';
import { DialogFooter, Modal } from '../../components/Modal';
import { ProjectPicker } from '../../components/ProjectPicker';
import { PageHeader, rowClass, tableClass } from '../../components/page';
import {
  Banner,
  Button,
  EmptyState,
  ErrorState,
  Field,
  Input,
  inputClass,
  Skeleton,
} from '../../components/ui';
import {
  checkDefinition,
  FIELD_TYPES,
  hasOptions,
  parseOptions,
  typeLabel,
  type FieldDef,
  type FieldType,
} from '../../lib/fields';
import { can } from '../../lib/permissions';
import { useWorkspaceCtx } from '../workspace/context';
import type { Project } from '../workspace/data';
import { projectKeys, useFields } from '../workspace/projectData';
import { useSettingsProject } from './settingsProject';

/** A project's custom fields: everyone sees their values on issues; Admins define them here
 * (name, type, options of selects), rename them, add options and delete them (issues keep their
 * values, which are ignored and dropped on each issue's next write). */
export default function Fields() {
  const { slug, me } = useWorkspaceCtx();
  const { projects, project, select } = useSettingsProject();
  const fields = useFields(slug, project?.id);
  const manage = can(me.user.role, 'createField');
  const [editing, setEditing] = useState<FieldDef | 'new' | null>(null);
  const [deleting, setDeleting] = useState<FieldDef | null>(null);
  const [deleted, setDeleted] = useState('');
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">Custom fields</span>}
        description="Fields a project's issues carry besides the built-in ones; filter and sort the issue list by them. A field's type never changes and options are only added."
        actions={
          manage &&
          project && (
            <Button variant="primary" onClick={() => setEditing('new')}>
              <Plus className="size-4" aria-hidden /> New field
            </Button>
          )
        }
      />
      <div className="space-y-4 overflow-x-auto p-4 sm:px-6">
        <ProjectPicker projects={projects.data} value={project?.key} onChange={select} />
        {deleted && <Banner>{deleted}</Banner>}
        {projects.isPending || (project && fields.isPending) ? (
          <Skeleton />
        ) : projects.isError ? (
          <ErrorState error={projects.error} onRetry={() => void projects.refetch()} />
        ) : !project ? (
          <EmptyState icon={<ListPlus className="size-6" />} title="No such project">
            Pick a project above, or create one under Projects.
          </EmptyState>
        ) : fields.isError ? (
          <ErrorState error={fields.error} onRetry={() => void fields.refetch()} />
        ) : fields.data!.length === 0 ? (
          <EmptyState
            icon={<ListPlus className="size-6" />}
            title={`${project.name} has no custom fields yet`}
          >
            {manage ? 'Create one with "New field".' : 'Admins define them.'}
          </EmptyState>
        ) : (
          <table className={tableClass} aria-label={`Custom fields of ${project.name}`}>
            <TableHead
              columns={[
                'Field',
                'Type',
                'Options',
                ...(manage ? [{ label: 'Actions', hidden: true as const }] : []),
              ]}
            />
            <tbody>
              {fields.data!.map((f) => (
                <tr key={f.id} className={rowClass} data-testid="field-row">
                  <td className="px-3 py-2 font-medium">{f.name}</td>
                  <td className="px-3 py-2 text-muted">{typeLabel(f.type)}</td>
                  <td className="px-3 py-2 text-muted">{f.options?.join(', ') || '—'}</td>
                  {manage && (
                    <td className="px-3 py-2 text-right">
                      <span className="inline-flex gap-1 whitespace-nowrap">
                        <Button size="sm" variant="ghost" onClick={() => setEditing(f)}>
                          Edit<span className="sr-only"> {f.name}</span>
                        </Button>
                        <Button
                          size="sm"
                          variant="ghost"
                          onClick={() => {
                            setDeleted('');
                            setDeleting(f);
                          }}
                          aria-label={`Delete ${f.name}`}
                        >
                          <Trash2 className="size-3.5" aria-hidden />
                        </Button>
                      </span>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {manage && editing && project && (
        <FieldDialog
          project={project}
          field={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(null)}
        />
      )}
      {manage && deleting && project && (
        <DeleteField
          project={project}
          field={deleting}
          onClose={(message) => {
            setDeleting(null);
            if (message) setDeleted(message);
          }}
        />
      )}
    </main>
  );
}

function FieldDialog({
  project,
  field,
  onClose,
}: {
  project: Project;
  field?: FieldDef;
  onClose: () => void;
}) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [name, setName] = useState(field?.name ?? '');
  const [type, setType] = useState<FieldType>((field?.type as FieldType | undefined) ?? 'text');
  const [options, setOptions] = useState((field?.options ?? []).join('\n'));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const idem = useRef(crypto.randomUUID());
  const save = useMutation({
    mutationFn: () => {
      const opts = hasOptions(type) ? parseOptions(options) : undefined;
      if (field)
        return unwrap(
          api().PATCH('/v1/projects/{projectId}/fields/{fieldId}', {
            params: { path: { projectId: project.id, fieldId: field.id } },
            body: { name: name.trim(), ...(opts ? { options: opts } : {}) },
            headers: { 'Content-Type': 'application/merge-patch+json' },
          }),
        );
      return unwrap(
        api().POST('/v1/projects/{projectId}/fields', {
          params: { path: { projectId: project.id }, header: { 'Idempotency-Key': idem.current } },
          body: { name: name.trim(), type, ...(opts ? { options: opts } : {}) },
        }),
      );
    },
    onSuccess: async () => {
      onClose();
      await qc.invalidateQueries({ queryKey: projectKeys.fields(slug, project.id) });
    },
    onError: (e) => {
      idem.current = crypto.randomUUID();
      if (isApiError(e)) setErrors(e.fieldErrors());
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errs = checkDefinition(name, type, hasOptions(type) ? parseOptions(options) : [], field);
    setErrors(errs);
    if (!Object.keys(errs).length) save.mutate();
  };
  return (
    <Modal
      open
      onOpenChange={(o) => !o && onClose()}
      title={field ? `Edit ${field.name}` : `New field in ${project.name}`}
    >
      <form onSubmit={submit} noValidate className="space-y-4 p-4">
        {save.error && !['name', 'type', 'options'].some((f) => errors[f]) && (
          <Banner tone="error">{errorMessage(save.error)}</Banner>
        )}
        <Field label="Name" error={errors.name}>
          {(p) => (
            <Input {...p} value={name} maxLength={50} onChange={(e) => setName(e.target.value)} autoFocus />
          )}
        </Field>
        <Field label="Type" error={errors.type} hint={field ? 'A field keeps its type.' : undefined}>
          {(p) => (
            <select
              {...p}
              value={type}
              disabled={!!field}
              onChange={(e) => setType(e.target.value as FieldType)}
              className={inputClass}
            >
              {FIELD_TYPES.map((t) => (
                <option key={t.value} value={t.value}>
                  {t.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {hasOptions(type) && (
          <Field
            label="Options"
            error={errors.options}
            hint={
              field
                ? 'One per line. Add options; existing ones stay (issues may hold them).'
                : 'One per line.'
            }
          >
            {(p) => (
              <textarea
                {...p}
                rows={5}
                value={options}
                onChange={(e) => setOptions(e.target.value)}
                className={inputClass}
              />
            )}
          </Field>
        )}
        <DialogFooter onCancel={onClose} busy={save.isPending} action={field ? 'Save' : 'Create field'} />
      </form>
    </Modal>
  );
}

/** Deletes a field after saying what happens to its values: issues keep them, but they are ignored
 * (not shown, filtered or sorted by) and dropped on each issue's next write. A field already gone (404)
 * or changed meanwhile (412) closes the dialog with the list reloaded and says so. */
function DeleteField({
  project,
  field,
  onClose,
}: {
  project: Project;
  field: FieldDef;
  onClose: (message?: string) => void;
}) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const reload = () => qc.invalidateQueries({ queryKey: projectKeys.fields(slug, project.id) });
  const del = useMutation({
    mutationFn: () =>
      unwrap(
        api().DELETE('/v1/projects/{projectId}/fields/{fieldId}', {
          params: { path: { projectId: project.id, fieldId: field.id } },
          // the route has no If-Match today; sent so that a conditional delete needs no change here
          headers: { 'If-Match': etag(field.version) },
        }),
      ),
    onSuccess: async () => {
      await reload();
      onClose(`${field.name} is deleted. Issues' values of it are ignored from now on.`);
    },
    onError: async (e) => {
      if (isApiError(e, 404)) {
        await reload();
        onClose(`${field.name} was already deleted (by someone else, or in another tab).`);
      } else if (isApiError(e, 412)) {
        await reload();
        onClose(`${field.name} changed since you opened this page: check it and delete it again.`);
      }
    },
  });
  return (
    <Modal open onOpenChange={(o) => !o && onClose()} title={`Delete ${field.name}?`}>
      <div className="space-y-3 p-4 text-sm">
        {del.isError && !isApiError(del.error, 404) && !isApiError(del.error, 412) && (
          <Banner tone="error">{errorMessage(del.error)}</Banner>
        )}
        <p>
          <strong>{field.name}</strong> ({typeLabel(field.type)}) leaves {project.name}. Issues keep the
          values they hold, but they are ignored: not shown, filtered or sorted by, and dropped the next time
          each issue is saved. Saved views cannot use the field any more.
        </p>
        <p className="text-muted">This cannot be undone; a new field of the same name starts empty.</p>
        <DialogFooter
          onCancel={() => onClose()}
          variant="danger"
          onAction={() => del.mutate()}
          busy={del.isPending}
          action="Delete field"
        />
      </div>
    </Modal>
  );
}
