import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ListPlus, Plus } from 'lucide-react';
import { useRef, useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { TableHead } from '../../components/CatalogPage';
import { Modal } from '../../components/Modal';
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
import { ProjectPicker, useSettingsProject } from './ProjectPicker';

/** A project's custom fields: everyone sees their values on issues; Admins define them here
 * (name, type, options of selects), rename them and add options. The API has no delete or
 * archive of a field (its values stay valid), so neither has this page. */
export default function Fields() {
  const { slug, me } = useWorkspaceCtx();
  const { projects, project, select } = useSettingsProject();
  const fields = useFields(slug, project?.id);
  const manage = can(me.user.role, 'createField');
  const [editing, setEditing] = useState<FieldDef | 'new' | null>(null);
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
        {projects.data && projects.data.length > 0 && (
          <ProjectPicker projects={projects.data} value={project?.key} onChange={select} />
        )}
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
                      <Button size="sm" variant="ghost" onClick={() => setEditing(f)}>
                        Edit<span className="sr-only"> {f.name}</span>
                      </Button>
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
        <div className="flex items-center justify-end gap-2">
          <Button type="button" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {field ? 'Save' : 'Create field'}
          </Button>
        </div>
      </form>
    </Modal>
  );
}
