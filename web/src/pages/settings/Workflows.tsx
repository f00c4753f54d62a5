import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ArrowDown, ArrowUp, Check, ChevronDown, GitBranch, Plus, Trash2 } from 'lucide-react';
import { DropdownMenu } from 'radix-ui';
import { useEffect, useState, type FormEvent } from 'react';
import { api, etag, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { StatusIcon } from '../../components/issueIcons';
import { DialogFooter, Modal } from '../../components/Modal';
import { ProjectPicker } from '../../components/ProjectPicker';
import { Badge, PageHeader, rowClass, tableClass, theadClass } from '../../components/page';
import { Banner, Button, EmptyState, ErrorState, Input, inputClass, Skeleton } from '../../components/ui';
import { can } from '../../lib/permissions';
import {
  addStatus,
  CATEGORIES,
  isDirty,
  mapTargets,
  moveStatus,
  removeStatus,
  rowErrors,
  toDraft,
  toggleTransition,
  updateStatus,
  validateDraft,
  type Category,
  type DraftStatus,
  type Workflow,
} from '../../lib/workflowEdit';
import { useWorkspaceCtx } from '../workspace/context';
import { keys, type Project } from '../workspace/data';
import { projectKeys, useProjectWorkflow } from '../workspace/projectData';
import { useSettingsProject } from './settingsProject';

type Deletion = { state: string; moved: number; move_to?: string; status: string };

/** A project's workflow: statuses in board order with category, colour and allowed transitions.
 * Admins edit a draft and save it whole (If-Match the version read); a status in use is deleted by
 * a job that maps its issues to another status. */
export default function Workflows() {
  const { slug, me } = useWorkspaceCtx();
  const { projects, project, select } = useSettingsProject();
  const wf = useProjectWorkflow(slug, project?.id);
  const manage = can(me.user.role, 'updateProjectWorkflow');
  const [savedVersion, setSavedVersion] = useState<number>();
  const [deleting, setDeleting] = useState<{ status: DraftStatus; resume: boolean }>();
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">Workflows</span>}
        description="Each project's statuses, in board order, and where an issue may move from each."
      />
      <div className="space-y-4 p-4 sm:px-6">
        <ProjectPicker projects={projects.data} value={project?.key} onChange={select} />
        {projects.isPending || (project && wf.isPending) ? (
          <Skeleton />
        ) : projects.isError ? (
          <ErrorState error={projects.error} onRetry={() => void projects.refetch()} />
        ) : !project ? (
          <EmptyState icon={<GitBranch className="size-6" />} title="No such project">
            Pick a project above, or create one under Projects.
          </EmptyState>
        ) : wf.isError ? (
          <ErrorState error={wf.error} onRetry={() => void wf.refetch()} />
        ) : (
          <>
            {savedVersion === wf.data!.version && <Banner>Workflow saved.</Banner>}
            <Editor
              key={`${project.id}:${wf.data!.version}`}
              project={project}
              wf={wf.data!}
              manage={manage}
              onSaved={setSavedVersion}
              onDelete={(status, resume) => setDeleting({ status, resume })}
            />
            {deleting && (
              <DeleteStatus
                project={project}
                wf={wf.data!}
                status={deleting.status}
                resume={deleting.resume}
                onClose={() => setDeleting(undefined)}
              />
            )}
          </>
        )}
      </div>
    </main>
  );
}

function Editor({
  project,
  wf,
  manage,
  onSaved,
  onDelete,
}: {
  project: Project;
  wf: Workflow;
  manage: boolean;
  onSaved: (version: number) => void;
  onDelete: (s: DraftStatus, resume: boolean) => void;
}) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [draft, setDraft] = useState<DraftStatus[]>(() => toDraft(wf));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const saved = new Set(wf.statuses.map((s) => s.status));
  const retiring = new Set(wf.statuses.filter((s) => s.retiring).map((s) => s.status));
  const dirty = isDirty(wf, draft);
  const edit = (d: DraftStatus[]) => {
    setDraft(d);
    setErrors({});
    save.reset();
  };

  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api().PUT('/v1/projects/{projectId}/workflow', {
          params: { path: { projectId: project.id } },
          // version 0: the project still has the default workflow (nothing stored to match)
          headers: wf.version > 0 ? { 'If-Match': etag(wf.version) } : {},
          body: { statuses: draft },
        }),
      ),
    onSuccess: async (w) => {
      onSaved(w.version);
      qc.setQueryData(projectKeys.workflow(slug, project.id), w);
      await qc.invalidateQueries({ queryKey: keys.issues(slug), refetchType: 'none' });
    },
    onError: (e) => isApiError(e) && setErrors(e.fieldErrors()),
  });
  const submit = () => {
    const errs = validateDraft(draft);
    setErrors(errs);
    if (!Object.keys(errs).length) save.mutate();
  };
  const reload = () => void qc.invalidateQueries({ queryKey: projectKeys.workflow(slug, project.id) });

  const byId = new Map(draft.map((s) => [s.status, s]));
  const rowsError = Object.keys(errors).some((k) => k.startsWith('statuses['));
  return (
    <>
      {save.error !== null && isApiError(save.error, 412) ? (
        <Banner tone="error">
          Someone changed this workflow since you opened it; your changes were not saved.{' '}
          <Button size="sm" onClick={reload}>
            Load their version
          </Button>
        </Banner>
      ) : (
        save.error !== null && (
          <Banner tone="error">
            {errorMessage(save.error)}
            {errors.statuses && errors.statuses !== errorMessage(save.error) ? ` (${errors.statuses})` : ''}
          </Banner>
        )
      )}
      {!save.error && errors.statuses && <Banner tone="error">{errors.statuses}</Banner>}
      {!save.error && rowsError && (
        <Banner tone="error">Some statuses need a fix; see the marked rows.</Banner>
      )}
      {/* On a phone each status is a card (its cells stacked, each named), so nothing hides off-screen. */}
      <div className="rounded-lg border border-line sm:overflow-x-auto">
        <table className={tableClass + ' sm:min-w-[46rem]'} aria-label={`Statuses of ${project.name}`}>
          <thead className={theadClass + ' hidden sm:table-header-group'}>
            <tr>
              {manage && (
                <th scope="col" className="px-3 py-2">
                  <span className="sr-only">Order</span>
                </th>
              )}
              <th scope="col" className="px-3 py-2 font-medium">
                Status
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Category
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Colour
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Moves to
              </th>
              {manage && (
                <th scope="col" className="px-3 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody className="block sm:table-row-group">
            {draft.map((s, i) => {
              const re = rowErrors(errors, i);
              const others = draft.filter((x) => x.status !== s.status);
              return (
                <tr
                  key={s.status}
                  className={rowClass + ' block py-1 sm:table-row sm:py-0'}
                  data-testid="status-row"
                  data-status={s.status}
                >
                  {manage && (
                    <td className="float-right px-2 py-1.5 whitespace-nowrap sm:float-none sm:table-cell">
                      <Button
                        size="sm"
                        variant="ghost"
                        aria-label={`Move ${s.name} up`}
                        disabled={i === 0}
                        onClick={() => edit(moveStatus(draft, s.status, -1))}
                      >
                        <ArrowUp className="size-3.5" aria-hidden />
                      </Button>
                      <Button
                        size="sm"
                        variant="ghost"
                        aria-label={`Move ${s.name} down`}
                        disabled={i === draft.length - 1}
                        onClick={() => edit(moveStatus(draft, s.status, 1))}
                      >
                        <ArrowDown className="size-3.5" aria-hidden />
                      </Button>
                    </td>
                  )}
                  <td className="block px-3 py-1.5 sm:table-cell">
                    <div className="flex items-center gap-2">
                      <StatusIcon status={s.status} name={s.name} category={s.category} color={s.color} />
                      {manage ? (
                        <Input
                          aria-label={`Name of ${s.status}`}
                          aria-invalid={re.name ? true : undefined}
                          value={s.name}
                          maxLength={40}
                          onChange={(e) => edit(updateStatus(draft, s.status, { name: e.target.value }))}
                          className="w-40 py-1"
                        />
                      ) : (
                        <span>{s.name}</span>
                      )}
                      {retiring.has(s.status) && <Badge tone="amber">being deleted</Badge>}
                      {!saved.has(s.status) && <Badge tone="blue">new</Badge>}
                    </div>
                    <div className="mt-0.5 font-mono text-2xs text-muted">{s.status}</div>
                    {(re.name || re.status) && (
                      <p role="alert" className="text-xs text-red-700">
                        {re.name ?? re.status}
                      </p>
                    )}
                  </td>
                  <td className="flex flex-wrap items-center gap-x-2 px-3 py-1 sm:table-cell sm:py-1.5">
                    <PhoneLabel manage={manage}>Category</PhoneLabel>
                    {manage ? (
                      <select
                        aria-label={`Category of ${s.name}`}
                        value={s.category}
                        onChange={(e) =>
                          edit(updateStatus(draft, s.status, { category: e.target.value as Category }))
                        }
                        className={inputClass + ' w-36 py-1'}
                      >
                        {CATEGORIES.map((c) => (
                          <option key={c.value} value={c.value}>
                            {c.label}
                          </option>
                        ))}
                      </select>
                    ) : (
                      CATEGORIES.find((c) => c.value === s.category)?.label
                    )}
                    {re.category && (
                      <p role="alert" className="text-xs text-red-700">
                        {re.category}
                      </p>
                    )}
                  </td>
                  <td className="flex flex-wrap items-center gap-x-2 px-3 py-1 sm:table-cell sm:py-1.5">
                    <PhoneLabel manage={manage}>Colour</PhoneLabel>
                    <span className="inline-flex items-center gap-1.5">
                      {manage ? (
                        <input
                          type="color"
                          aria-label={`Colour of ${s.name}`}
                          value={s.color}
                          onChange={(e) => edit(updateStatus(draft, s.status, { color: e.target.value }))}
                          className="h-6 w-8 cursor-pointer"
                        />
                      ) : (
                        <span
                          className="size-3 rounded-full"
                          style={{ backgroundColor: s.color }}
                          aria-hidden
                        />
                      )}
                      <span className="font-mono text-xs text-muted">{s.color}</span>
                    </span>
                    {re.color && (
                      <p role="alert" className="text-xs text-red-700">
                        {re.color}
                      </p>
                    )}
                  </td>
                  <td className="flex flex-wrap items-center gap-x-2 px-3 py-1 sm:table-cell sm:py-1.5">
                    <PhoneLabel manage={manage}>Moves to</PhoneLabel>
                    {manage ? (
                      <TransitionsMenu
                        from={s}
                        others={others}
                        names={s.next.map((n) => byId.get(n)?.name ?? n)}
                        onToggle={(to) => edit(toggleTransition(draft, s.status, to))}
                      />
                    ) : (
                      <span className="text-xs text-muted" data-testid="moves-to">
                        {s.next.length ? s.next.map((n) => byId.get(n)?.name ?? n).join(', ') : 'Nowhere'}
                      </span>
                    )}
                    {re.next && (
                      <p role="alert" className="text-xs text-red-700">
                        {re.next}
                      </p>
                    )}
                  </td>
                  {manage && (
                    <td className="block px-3 py-1 text-right sm:table-cell sm:py-1.5">
                      <Button
                        size="sm"
                        variant="ghost"
                        aria-label={`${retiring.has(s.status) ? 'Resume deletion of' : 'Delete'} ${s.name}`}
                        onClick={() =>
                          saved.has(s.status)
                            ? onDelete(s, retiring.has(s.status))
                            : edit(removeStatus(draft, s.status))
                        }
                        disabled={saved.has(s.status) && dirty && !retiring.has(s.status)}
                        title={
                          saved.has(s.status) && dirty ? 'Save or discard your changes first' : undefined
                        }
                      >
                        <Trash2 className="size-3.5" aria-hidden />
                        {retiring.has(s.status) && 'Resume deletion'}
                      </Button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {manage && (
        <>
          <AddStatus draft={draft} onAdd={edit} />
          <div className="flex items-center gap-2">
            <Button variant="primary" onClick={submit} busy={save.isPending} disabled={!dirty}>
              Save workflow
            </Button>
            <Button onClick={() => edit(toDraft(wf))} disabled={!dirty}>
              Discard changes
            </Button>
            {dirty && <span className="text-xs text-muted">Unsaved changes</span>}
          </div>
        </>
      )}
    </>
  );
}

/** A cell's name on a phone, where the table's header is hidden (controls carry their own names for
 * assistive technology; read-only values get it as text). */
function PhoneLabel({ manage, children }: { manage: boolean; children: string }) {
  return (
    <span className="w-20 shrink-0 text-2xs text-muted sm:hidden" aria-hidden={manage || undefined}>
      {children}
      {manage ? '' : ':'}
    </span>
  );
}

function AddStatus({ draft, onAdd }: { draft: DraftStatus[]; onAdd: (d: DraftStatus[]) => void }) {
  const [name, setName] = useState('');
  const [category, setCategory] = useState<Category>('started');
  const [error, setError] = useState('');
  const add = (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (!n) return setError('Give the status a name.');
    if (draft.some((s) => s.name.trim().toLocaleLowerCase() === n.toLocaleLowerCase()))
      return setError('Another status has this name.');
    setError('');
    onAdd(addStatus(draft, n, category));
    setName('');
  };
  return (
    <form onSubmit={add} className="flex flex-wrap items-end gap-2" aria-label="Add a status" noValidate>
      <div>
        <label htmlFor="new-status-name" className="block text-xs font-medium">
          New status
        </label>
        <Input
          id="new-status-name"
          value={name}
          maxLength={40}
          placeholder="e.g. Ready for QA"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'new-status-error' : undefined}
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <div>
        <label htmlFor="new-status-category" className="block text-xs font-medium">
          Category
        </label>
        <select
          id="new-status-category"
          value={category}
          onChange={(e) => setCategory(e.target.value as Category)}
          className={inputClass + ' w-auto'}
        >
          {CATEGORIES.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </div>
      <Button type="submit">
        <Plus className="size-3.5" aria-hidden /> Add status
      </Button>
      {error && (
        <p id="new-status-error" role="alert" className="w-full text-xs text-red-700">
          {error}
        </p>
      )}
    </form>
  );
}

/** Deletes a saved status: its issues move to the status chosen, by a job called until it is done. */
function DeleteStatus({
  project,
  wf,
  status,
  resume,
  onClose,
}: {
  project: Project;
  wf: Workflow;
  status: DraftStatus;
  resume: boolean;
  onClose: () => void;
}) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const targets = mapTargets(wf, status.status);
  const [moveTo, setMoveTo] = useState(
    targets.find((t) => t.category === status.category)?.status ?? targets[0]?.status ?? '',
  );
  const [job, setJob] = useState<Deletion>();
  const [error, setError] = useState<unknown>();
  const [running, setRunning] = useState(false);

  // A status already being deleted: the job's own mapping goes on.
  useEffect(() => {
    if (!resume) return;
    unwrap(
      api().GET('/v1/projects/{projectId}/workflow/deletions/{statusId}', {
        params: { path: { projectId: project.id, statusId: status.status } },
      }),
    ).then((d) => {
      setJob(d);
      if (d.move_to) setMoveTo(d.move_to);
    }, setError);
  }, [resume, project.id, status.status]);

  const run = async () => {
    setRunning(true);
    setError(undefined);
    try {
      for (let i = 0; i < 200; i++) {
        const d = await unwrap(
          api().POST('/v1/projects/{projectId}/workflow/deletions', {
            params: { path: { projectId: project.id } },
            body: { status: status.status, move_to: moveTo },
          }),
        );
        setJob(d);
        if (d.state === 'done') break;
      }
      await qc.invalidateQueries({ queryKey: projectKeys.workflow(slug, project.id) });
      await qc.invalidateQueries({ queryKey: keys.issues(slug) });
    } catch (e) {
      setError(e);
    } finally {
      setRunning(false);
    }
  };
  const done = job?.state === 'done';
  const fe = isApiError(error) ? error.fieldErrors() : {};
  return (
    <Modal
      open
      onOpenChange={(o) => !o && !running && onClose()}
      title={`Delete ${status.name}`}
      description="Its issues move to the status you choose (each move is in the issue's history); then the status leaves the workflow."
    >
      <div className="space-y-4 p-4">
        {error !== undefined && <Banner tone="error">{errorMessage(error)}</Banner>}
        <div className="space-y-1">
          <label htmlFor="move-to" className="block text-xs font-medium">
            Move its issues to
          </label>
          <select
            id="move-to"
            value={moveTo}
            disabled={running || done || resume}
            onChange={(e) => setMoveTo(e.target.value)}
            className={inputClass}
            aria-invalid={fe.move_to ? true : undefined}
          >
            {targets.map((t) => (
              <option key={t.status} value={t.status}>
                {t.name}
              </option>
            ))}
          </select>
          {(fe.move_to ?? fe.status) && (
            <p role="alert" className="text-xs text-red-700">
              {fe.move_to ?? fe.status}
            </p>
          )}
        </div>
        {job && (
          <div role="status" data-testid="deletion-progress" className="space-y-1 text-sm">
            <div className="h-1.5 overflow-hidden rounded bg-panel">
              <div
                className={done ? 'h-full w-full bg-emerald-600' : 'h-full w-1/2 animate-pulse bg-brand'}
              />
            </div>
            {done
              ? `Done: ${job.moved} issue${job.moved === 1 ? '' : 's'} moved; ${status.name} is deleted.`
              : `Moving issues… ${job.moved} moved so far.`}
          </div>
        )}
        <DialogFooter
          done={done}
          onCancel={onClose}
          cancelDisabled={running}
          variant="danger"
          onAction={() => void run()}
          busy={running}
          disabled={!moveTo}
          action={resume ? 'Resume deletion' : `Delete ${status.name}`}
        />
      </div>
    </Modal>
  );
}

/** Where an issue in `from` may move: the names as the trigger, a checkbox per other status. */
function TransitionsMenu({
  from,
  others,
  names,
  onToggle,
}: {
  from: DraftStatus;
  others: DraftStatus[];
  names: string[];
  onToggle: (to: string) => void;
}) {
  const text = names.length ? names.join(', ') : 'Nowhere';
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger asChild>
        <button
          type="button"
          aria-label={`Moves from ${from.name} to: ${text}`}
          className="inline-flex max-w-64 items-center gap-1 rounded-md px-1.5 py-1 text-left text-xs hover:bg-panel"
          data-testid="moves-to"
        >
          <span className="line-clamp-2">{text}</span>
          <ChevronDown className="size-3 shrink-0" aria-hidden />
        </button>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content
          align="start"
          sideOffset={4}
          aria-label={`Moves from ${from.name} to`}
          className="z-50 max-h-80 min-w-48 overflow-y-auto rounded-lg border border-line bg-white p-1 shadow-lg"
        >
          {others.map((o) => (
            <DropdownMenu.CheckboxItem
              key={o.status}
              checked={from.next.includes(o.status)}
              onCheckedChange={() => onToggle(o.status)}
              onSelect={(e) => e.preventDefault()}
              className="flex cursor-default items-center gap-2 rounded px-2 py-1.5 text-sm outline-none select-none data-highlighted:bg-panel"
            >
              <span className="flex size-3.5 items-center justify-center">
                <DropdownMenu.ItemIndicator>
                  <Check className="size-3.5" aria-hidden />
                </DropdownMenu.ItemIndicator>
              </span>
              {o.name}
            </DropdownMenu.CheckboxItem>
          ))}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}
