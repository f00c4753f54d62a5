import { useMutation, useQueryClient } from '@tanstack/react-query';
import { FolderKanban } from 'lucide-react';
import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { Modal } from '../../components/Modal';
import { CatalogPage, TableHead } from '../../components/CatalogPage';
import { Badge, rowClass, tableClass } from '../../components/page';
import { Banner, Button, Field, Input, inputClass } from '../../components/ui';
import { can } from '../../lib/permissions';
import { KEY_RE, suggestKey } from '../../lib/projectKey';
import { useWorkspaceCtx } from '../workspace/context';
import { keys, useDirectory, useProjects, type Directory, type Project } from '../workspace/data';

/** The estimate scales of internal/issue/planning.go (the first is the default). */
const ESTIMATE_SCALES = [
  { value: 'fibonacci', label: 'Fibonacci points (0, 1, 2, 3, 5, 8, 13, 21)' },
  { value: 'linear', label: 'Linear points (0 to 10)' },
  { value: 'tshirt', label: 'T-shirt sizes (XS=1, S=2, M=3, L=5, XL=8)' },
  { value: 'none', label: 'No estimates' },
];

/** The workspace's projects (Admins create them and change their settings). */
export default function Projects() {
  const { slug, me } = useWorkspaceCtx();
  const projects = useProjects(slug);
  const dir = useDirectory(slug);
  const manage = can(me.user.role, 'createProject');
  const [editing, setEditing] = useState<Project | 'new' | null>(null);
  return (
    <CatalogPage
      title="Projects"
      description="Every issue belongs to one project and is numbered in it (WEB-12). A renamed key keeps resolving."
      newLabel="New project"
      onNew={manage ? () => setEditing('new') : undefined}
      query={projects}
      className="overflow-x-auto"
      empty={{ icon: <FolderKanban className="size-6" />, title: 'No projects yet' }}
      after={
        manage &&
        editing && (
          <ProjectDialog
            project={editing === 'new' ? undefined : editing}
            dir={dir}
            onClose={() => setEditing(null)}
          />
        )
      }
    >
      {(items) => (
        <table className={tableClass} aria-label="Projects">
          <TableHead
            columns={['Project', 'Key', 'Lead', 'Default assignee', { label: 'Actions', hidden: true }]}
          />
          <tbody>
            {items.map((p) => (
              <tr key={p.id} className={rowClass} data-testid="project-row">
                <td className="px-3 py-2">
                  <span className="font-medium">{p.name}</span> {p.archived && <Badge>archived</Badge>}
                  {p.description && <div className="text-xs text-muted">{p.description}</div>}
                </td>
                <td className="px-3 py-2 font-mono text-xs">
                  {p.key}
                  {p.former_keys.length > 0 && (
                    <span className="ml-1 text-muted">(was {p.former_keys.join(', ')})</span>
                  )}
                </td>
                <td className="px-3 py-2 text-muted">{p.lead_id ? dir.userName(p.lead_id) : '—'}</td>
                <td className="px-3 py-2 text-muted">
                  {p.default_assignee_id ? dir.userName(p.default_assignee_id) : '—'}
                </td>
                <td className="px-3 py-2 text-right whitespace-nowrap">
                  <Link
                    to={`/w/${slug}/issues?project=${p.key}`}
                    className="mr-2 text-xs text-ink underline underline-offset-2"
                  >
                    Issues<span className="sr-only"> of {p.name}</span>
                  </Link>
                  <Link
                    to={`/w/${slug}/settings/workflows?project=${p.key}`}
                    className="mr-2 text-xs text-ink underline underline-offset-2"
                  >
                    Workflow<span className="sr-only"> of {p.name}</span>
                  </Link>
                  <Link
                    to={`/w/${slug}/settings/fields?project=${p.key}`}
                    className="mr-2 text-xs text-ink underline underline-offset-2"
                  >
                    Fields<span className="sr-only"> of {p.name}</span>
                  </Link>
                  {manage && (
                    <Button size="sm" variant="ghost" onClick={() => setEditing(p)}>
                      Settings<span className="sr-only"> of {p.name}</span>
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </CatalogPage>
  );
}

function ProjectDialog({
  project,
  dir,
  onClose,
}: {
  project?: Project;
  dir: Directory;
  onClose: () => void;
}) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [name, setName] = useState(project?.name ?? '');
  const [typedKey, setKey] = useState(project?.key);
  // A new project's key follows its name until the person types one (Website: WEB).
  const key = typedKey ?? suggestKey(name);
  const [description, setDescription] = useState(project?.description ?? '');
  const [lead, setLead] = useState(project?.lead_id ?? '');
  const [assignee, setAssignee] = useState(project?.default_assignee_id ?? '');
  const [archived, setArchived] = useState(project?.archived ?? false);
  const [scale, setScale] = useState(project?.estimate_scale ?? 'fibonacci');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const idem = useRef(crypto.randomUUID());
  const save = useMutation({
    mutationFn: () => {
      const body = {
        name: name.trim(),
        key,
        description: description.trim(),
        lead_id: lead,
        default_assignee_id: assignee,
        estimate_scale: scale,
        ...(project ? { archived } : {}),
      };
      return project
        ? unwrap(
            api().PATCH('/v1/projects/{projectId}', { params: { path: { projectId: project.id } }, body }),
          )
        : unwrap(
            api().POST('/v1/projects', { params: { header: { 'Idempotency-Key': idem.current } }, body }),
          );
    },
    onSuccess: async () => {
      onClose();
      await qc.invalidateQueries({ queryKey: keys.projects(slug) });
      await qc.invalidateQueries({ queryKey: keys.issues(slug) });
    },
    onError: (e) => {
      // a refused draft is a new request once corrected: it needs its own key
      idem.current = crypto.randomUUID();
      if (isApiError(e)) setErrors(e.fieldErrors());
    },
  });
  const FIELDS = [
    'name',
    'key',
    'description',
    'lead_id',
    'default_assignee_id',
    'estimate_scale',
    'archived',
  ];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!name.trim()) errs.name = 'Give the project a name.';
    if (!key) errs.key = 'Give the project a key: the prefix of its issue keys (WEB for WEB-12).';
    else if (!KEY_RE.test(key)) errs.key = '2–10 letters or digits, starting with a letter (WEB, API2).';
    setErrors(errs);
    if (!Object.keys(errs).length) save.mutate();
  };
  const people = dir.users.filter((u) => u.status === 'active');
  const select = (id: string, value: string, set: (v: string) => void, label: string) => (
    <select
      id={id}
      value={value}
      onChange={(e) => set(e.target.value)}
      className={inputClass}
      aria-label={label}
    >
      <option value="">Nobody</option>
      {people.map((u) => (
        <option key={u.id} value={u.id}>
          {u.display_name || u.email}
        </option>
      ))}
    </select>
  );
  return (
    <Modal
      open
      onOpenChange={(o) => !o && onClose()}
      title={project ? `${project.name} settings` : 'New project'}
    >
      <form onSubmit={submit} noValidate className="space-y-4 p-4">
        {save.error && !FIELDS.some((f) => errors[f]) && (
          <Banner tone="error">{errorMessage(save.error)}</Banner>
        )}
        <Field label="Name" error={errors.name}>
          {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} autoFocus />}
        </Field>
        <Field
          label="Key"
          error={errors.key}
          hint={
            project
              ? `Issue keys become ${key || project.key}-n; links with ${project.key} keep working.`
              : 'The prefix of the issue keys, e.g. WEB for WEB-12.'
          }
        >
          {(p) => (
            <Input
              {...p}
              value={key}
              onChange={(e) => setKey(e.target.value.toUpperCase())}
              maxLength={10}
              className="font-mono"
            />
          )}
        </Field>
        <Field label="Description" error={errors.description}>
          {(p) => <Input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <Field label="Lead" error={errors.lead_id}>
          {(p) => select(p.id, lead, setLead, 'Lead')}
        </Field>
        <Field label="Default assignee" error={errors.default_assignee_id}>
          {(p) => select(p.id, assignee, setAssignee, 'Default assignee')}
        </Field>
        <Field label="Estimates" error={errors.estimate_scale}>
          {(p) => (
            <select {...p} value={scale} onChange={(e) => setScale(e.target.value)} className={inputClass}>
              {ESTIMATE_SCALES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {project && (
          <div>
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={archived} onChange={(e) => setArchived(e.target.checked)} />
              Archived (hidden from the project switcher; its issues stay)
            </label>
            {errors.archived && (
              <p role="alert" className="mt-1 text-xs text-red-700">
                {errors.archived}
              </p>
            )}
          </div>
        )}
        <div className="flex items-center justify-end gap-2">
          <Button type="button" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {project ? 'Save' : 'Create project'}
          </Button>
        </div>
      </form>
    </Modal>
  );
}
