import { useQueryClient } from '@tanstack/react-query';
import { CalendarDays, FolderKanban, Gauge, Tag } from 'lucide-react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { Banner, Button, Field, inputClass } from '../../components/ui';
import { Modal } from '../../components/Modal';
import { useWorkspaceCtx } from './context';
import { keys, useDirectory, useProjects, type Issue } from './data';
import { createFieldValues, createProject, estimateOptions } from '../../lib/fields';
import { CustomField } from './IssueFields';
import { FilterMenu, PropertyMenu } from './pickers';
import { useFields, useProjectWorkflow } from './projectData';
import { assigneeOptions, labelOptions, priorityOptions, typeOptions } from './options';
import { useIssueWrites } from './writes';

interface Draft {
  title: string;
  description: string;
  type: string;
  priority: string;
  assignee: string; // user id, "team:<id>" or ""
  labels: string[];
  due_date: string;
  project: string; // project id; '' until chosen (the default applies)
  estimate: string; // points, '' for none
  fields: Record<string, unknown>;
}

const empty: Draft = {
  title: '',
  description: '',
  type: 'task',
  priority: 'none',
  assignee: '',
  labels: [],
  due_date: '',
  project: '',
  estimate: '',
  fields: {},
};

export function CreateIssueDialog({
  open,
  onOpenChange,
  defaults,
}: {
  open: boolean;
  onOpenChange: (o: boolean) => void;
  defaults: { status?: string; project?: string };
}) {
  const { slug, me } = useWorkspaceCtx();
  const qc = useQueryClient();
  const dir = useDirectory(slug);
  const { write } = useIssueWrites(slug);
  const [draft, setDraft] = useState<Draft>(empty);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Issue>();
  const [round, setRound] = useState(0); // a new draft after each create (the field inputs start empty)
  // The project: the one chosen here, else the caller's (the board), the page's (?project=) or the
  // workspace's default one. Its estimate scale, custom fields and workflow follow the choice.
  const [params] = useSearchParams();
  const projects = useProjects(slug);
  const project = createProject(projects.data, draft.project || defaults.project, params.get('project'));
  const fields = useFields(slug, project?.id);
  const wf = useProjectWorkflow(slug, project?.id);
  const estimates = project ? estimateOptions(project) : [];
  // One Idempotency-Key per draft: a retried submit cannot create it twice.
  const idem = useRef<string>('');
  useEffect(() => {
    if (!created) return;
    const t = setTimeout(() => setCreated(undefined), 6000);
    return () => clearTimeout(t);
  }, [created]);

  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setDraft((d) => ({ ...d, [k]: v }));
    setErrors((e) => ({ ...e, [k === 'assignee' ? 'assignee_id' : k === 'project' ? 'project_id' : k]: '' }));
  };
  const setField = (id: string, v: unknown) => {
    setDraft((d) => ({ ...d, fields: { ...d.fields, [id]: v } }));
    setErrors((e) => ({ ...e, [`fields.${id}`]: '' }));
  };

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    const title = draft.title.trim();
    if (!title) return setErrors({ title: 'Give the issue a title.' });
    if (title.length > 200) return setErrors({ title: 'At most 200 characters.' });
    setBusy(true);
    setFailure(undefined);
    idem.current ||= crypto.randomUUID();
    try {
      const team = draft.assignee.startsWith('team:') ? draft.assignee.slice(5) : undefined;
      let issue = await unwrap(
        api().POST('/v1/issues', {
          params: { header: { 'Idempotency-Key': idem.current } },
          body: {
            title,
            project_id: project?.id,
            description: draft.description || undefined,
            type: draft.type as Issue['type'],
            priority: draft.priority as Issue['priority'],
            assignee_id: team ? undefined : draft.assignee || undefined,
            team_id: team,
            labels: draft.labels.length ? draft.labels : undefined,
            due_date: draft.due_date || undefined,
            estimate: draft.estimate && estimates.length ? Number(draft.estimate) : undefined,
            fields: createFieldValues(fields.data ?? [], draft.fields),
          },
        }),
      );
      // the board's column, when the chosen project's workflow has it
      const inWorkflow = wf.data?.statuses.some((x) => x.status === defaults.status && !x.retiring);
      if (defaults.status && inWorkflow && defaults.status !== issue.status) {
        issue = (await write(issue, { kind: 'transition', to: defaults.status })) ?? issue;
      }
      qc.setQueryData(keys.issue(slug, issue.key), issue);
      void qc.invalidateQueries({ queryKey: keys.issues(slug) });
      setDraft(empty);
      setErrors({});
      idem.current = '';
      setCreated(issue);
      setRound((r) => r + 1);
      onOpenChange(false);
    } catch (err) {
      if (isApiError(err)) {
        // A refusal created nothing: the corrected draft is a new request with a key of its own (the
        // server answers a reused key with another body by refusing it). After a network failure or a
        // 5xx the outcome is unknown, so the key stays and a retry cannot create the issue twice.
        if (err.status >= 400 && err.status < 500) idem.current = '';
        const fe = err.fieldErrors();
        if (fe.team_id && !fe.assignee_id) fe.assignee_id = fe.team_id;
        setErrors(fe);
      }
      setFailure(err); // the draft stays as typed
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Modal
        open={open}
        onOpenChange={(o) => {
          if (!o) setFailure(undefined);
          onOpenChange(o);
        }}
        title="New issue"
        wide
      >
        <form
          onSubmit={submit}
          noValidate
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void submit();
          }}
        >
          <div className="space-y-3 p-4">
            {failure !== undefined && !shownErrors(errors, fields.data ?? []) && (
              <Banner tone="error">{errorMessage(failure)}</Banner>
            )}
            <Field label="Title" error={errors.title}>
              {(p) => (
                <input
                  {...p}
                  value={draft.title}
                  onChange={(e) => set('title', e.target.value)}
                  placeholder="Issue title"
                  autoFocus
                  maxLength={250}
                  className={inputClass + ' text-base font-medium'}
                />
              )}
            </Field>
            <Field label="Description" error={errors.description} hint="Markdown is supported.">
              {(p) => (
                <textarea
                  {...p}
                  value={draft.description}
                  onChange={(e) => set('description', e.target.value)}
                  placeholder="Add a description…"
                  rows={6}
                  className={inputClass + ' resize-y'}
                />
              )}
            </Field>
            <div className="flex flex-wrap items-center gap-1" role="group" aria-label="Properties">
              <PropertyMenu
                label="Project"
                value={project?.id ?? ''}
                options={(projects.data ?? [])
                  .filter((p) => !p.archived)
                  .map((p) => ({
                    value: p.id,
                    label: `${p.name} (${p.key})`,
                    icon: <FolderKanban className="size-3.5 text-muted" aria-hidden />,
                  }))}
                onChange={(v) => {
                  set('project', v);
                  set('estimate', ''); // another project's scale
                }}
                className="border border-line"
                empty="No active project."
              />
              <PropertyMenu
                label="Type"
                value={draft.type}
                options={typeOptions}
                onChange={(v) => set('type', v)}
                className="border border-line"
              />
              <PropertyMenu
                label="Priority"
                value={draft.priority}
                options={priorityOptions}
                onChange={(v) => set('priority', v)}
                className="border border-line"
              />
              <PropertyMenu
                label="Assignee"
                value={draft.assignee}
                options={assigneeOptions(dir, me.user.id)}
                onChange={(v) => set('assignee', v)}
                className="border border-line"
              />
              <FilterMenu
                label="Labels"
                options={labelOptions(dir)}
                values={draft.labels}
                onToggle={(v) =>
                  set(
                    'labels',
                    draft.labels.includes(v) ? draft.labels.filter((x) => x !== v) : [...draft.labels, v],
                  )
                }
              />
              {estimates.length > 0 && (
                <PropertyMenu
                  label="Estimate"
                  value={draft.estimate}
                  options={estimates}
                  onChange={(v) => set('estimate', v)}
                  className="border border-line"
                  trigger={
                    <>
                      <Gauge className="size-3.5 text-muted" aria-hidden />
                      <span className="truncate">
                        {estimates.find((o) => o.value === draft.estimate && o.value)?.label ?? 'Estimate'}
                      </span>
                    </>
                  }
                />
              )}
              <label className="inline-flex h-7 items-center gap-1 rounded-md border border-line px-2 text-xs text-muted">
                <CalendarDays className="size-3.5" aria-hidden />
                <span className="sr-only">Due date</span>
                <input
                  type="date"
                  value={draft.due_date}
                  onChange={(e) => set('due_date', e.target.value)}
                  className="bg-transparent text-xs text-ink"
                  aria-label="Due date"
                />
              </label>
            </div>
            {(errors.assignee_id ||
              errors.labels ||
              errors.due_date ||
              errors.type ||
              errors.priority ||
              errors.project_id ||
              errors.estimate) && (
              <p role="alert" className="text-xs text-red-700">
                {[
                  errors.project_id && `Project: ${errors.project_id}`,
                  errors.estimate && `Estimate: ${errors.estimate}`,
                  errors.assignee_id && `Assignee: ${errors.assignee_id}`,
                  errors.labels && `Labels: ${errors.labels}`,
                  errors.due_date && `Due date: ${errors.due_date}`,
                  errors.type,
                  errors.priority,
                ]
                  .filter(Boolean)
                  .join(' · ')}
              </p>
            )}
            {(fields.data ?? []).length > 0 && project && (
              <fieldset className="rounded-md border border-line px-3 pt-1 pb-2">
                <legend className="px-1 text-xs font-medium">Fields of {project.name}</legend>
                <dl className="grid grid-cols-[minmax(6rem,10rem)_1fr] items-center gap-x-2 gap-y-1">
                  {fields.data!.map((f) => (
                    <CustomField
                      key={`${project.id}:${f.id}`}
                      field={f}
                      value={draft.fields[f.id]}
                      resetKey={`${project.id}:${round}`}
                      dir={dir}
                      set={(v) => setField(f.id, v)}
                      error={errors[`fields.${f.id}`]}
                      live
                      idPrefix="new-field"
                    />
                  ))}
                </dl>
              </fieldset>
            )}
            {dir.labels.length === 0 && (
              <p className="flex items-center gap-1 text-2xs text-faint">
                <Tag className="size-3" aria-hidden /> Admins can add labels for the workspace.
              </p>
            )}
          </div>
          <div className="flex items-center justify-end gap-2 border-t border-line px-4 py-3">
            <span className="mr-auto hidden text-2xs text-muted sm:inline">Ctrl/⌘ + Enter to create</span>
            <Button type="button" variant="ghost" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" variant="primary" busy={busy}>
              Create issue
            </Button>
          </div>
        </form>
      </Modal>
      {created && (
        <div
          role="status"
          className="fixed right-4 bottom-4 z-50 flex items-center gap-3 rounded-lg border border-line bg-white px-3 py-2 text-sm shadow-lg"
        >
          Created <strong>{created.key}</strong>
          <Link
            to={`/w/${slug}/issues/${created.key}`}
            className="font-medium text-brand hover:underline"
            onClick={() => setCreated(undefined)}
          >
            Open
          </Link>
        </div>
      )}
    </>
  );
}

const SHOWN = [
  'title',
  'description',
  'assignee_id',
  'labels',
  'due_date',
  'type',
  'priority',
  'project_id',
  'estimate',
];

/** Whether every field error is shown next to its field (else the banner says what failed). */
function shownErrors(errors: Record<string, string>, fields: { id: string }[]): boolean {
  const keys = Object.keys(errors).filter((k) => errors[k]);
  return (
    keys.length > 0 && keys.every((k) => SHOWN.includes(k) || fields.some((f) => k === `fields.${f.id}`))
  );
}
