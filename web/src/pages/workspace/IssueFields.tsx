// The issue page's project-dependent properties (issue 12): the project (move
// the issue to another: POST /v1/issues/{id}/move), the estimate on the
// project's scale, and the project's custom fields, each with the input its
// type needs. Rendered inside the properties list (<dl>) of IssueDetail.
import { useQueryClient } from '@tanstack/react-query';
import { FolderKanban } from 'lucide-react';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, etag, unwrap } from '../../api/client';
import { Avatar } from '../../components/ui';
import { estimateOptions, parseInput, toggleOption, valueText, type FieldDef } from '../../lib/fields';
import { useWorkspaceCtx } from './context';
import { findProject, keys, useProjects, type Directory, type Issue } from './data';
import { FilterMenu, PropertyMenu, userOption } from './pickers';
import { useFields } from './projectData';
import { putIssue, type Change } from './writes';

const dt = 'text-xs text-muted';
const inputCls = 'h-7 w-full rounded-md bg-transparent px-2 text-sm hover:bg-panel focus:bg-white';

/** Project (with move), estimate and custom field rows of an issue. */
export function ProjectProperties({
  issue,
  dir,
  change,
  onError,
}: {
  issue: Issue;
  dir: Directory;
  change: (c: Change) => Promise<Issue | undefined>;
  onError: (e: unknown) => void;
}) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const projects = useProjects(slug);
  const fields = useFields(slug, issue.project_id);
  const project = findProject(projects.data, issue.project_id);
  const [moving, setMoving] = useState(false);

  const move = async (key: string) => {
    const to = findProject(projects.data, key);
    if (!to || to.id === issue.project_id) return;
    if (!confirm(`Move ${issue.key} to ${to.name}? It gets a ${to.key} key; ${issue.key} keeps finding it.`))
      return;
    setMoving(true);
    onError(undefined);
    try {
      const moved = await unwrap(
        api().POST('/v1/issues/{issueId}/move', {
          params: { path: { issueId: issue.id } },
          headers: { 'If-Match': etag(issue.version) },
          body: { project_id: to.id },
        }),
      );
      putIssue(qc, slug, moved);
      qc.setQueryData(keys.issue(slug, issue.key), moved);
      void qc.invalidateQueries({ queryKey: keys.issues(slug) });
      void qc.invalidateQueries({ queryKey: keys.activity(slug, issue.id) });
      void navigate(`/w/${slug}/issues/${moved.key}`, { replace: true });
    } catch (e) {
      onError(e);
    } finally {
      setMoving(false);
    }
  };

  const estimates = project ? estimateOptions(project) : [];
  const setField = (f: FieldDef, v: unknown) =>
    change({ kind: 'patch', patch: { fields: { ...(issue.fields ?? {}), [f.id]: v } } });

  return (
    <>
      <dt className={dt}>Project</dt>
      <dd>
        <PropertyMenu
          label="Project"
          value={project?.key ?? ''}
          disabled={moving || !projects.data}
          options={(projects.data ?? [])
            .filter((p) => !p.archived || p.id === issue.project_id)
            .map((p) => ({
              value: p.key,
              label: `${p.name} (${p.key})`,
              icon: <FolderKanban className="size-3.5 text-muted" aria-hidden />,
            }))}
          onChange={(k) => void move(k)}
        />
      </dd>
      <dt className={dt}>Estimate</dt>
      <dd>
        {project && estimates.length === 0 ? (
          <span className="px-2 text-sm text-muted">Off in this project</span>
        ) : (
          <PropertyMenu
            label="Estimate"
            value={issue.estimate === undefined || issue.estimate === null ? '' : String(issue.estimate)}
            options={estimates}
            onChange={(v) => void change({ kind: 'patch', patch: { estimate: v === '' ? null : Number(v) } })}
          />
        )}
      </dd>
      {(fields.data ?? []).map((f) => (
        <CustomField
          key={f.id}
          field={f}
          value={issue.fields?.[f.id]}
          resetKey={`${issue.id}:${issue.version}`}
          dir={dir}
          set={(v) => void setField(f, v)}
        />
      ))}
    </>
  );
}

/** A custom field's label (<dt>) and input (<dd>) by its type, for a properties list: the issue page
 * saves each change (text, number and date on Enter or leaving the input); the create dialog (`live`)
 * keeps every valid keystroke in its draft. `error` is the server's for this field. */
export function CustomField({
  field: f,
  value: v,
  resetKey,
  dir,
  set,
  error,
  live,
  idPrefix = 'field',
}: {
  field: FieldDef;
  value: unknown;
  /** a new value from outside (another version of the issue) resets what is typed */
  resetKey?: string;
  dir: Directory;
  set: (v: unknown) => void;
  error?: string;
  live?: boolean;
  idPrefix?: string;
}) {
  const id = `${idPrefix}-${f.id}`;
  const serverError = error ? (
    <p id={`${id}-server-error`} role="alert" className="px-2 text-xs text-red-700">
      {f.name}: {error}
    </p>
  ) : null;
  const label = (
    <dt className={dt + ' truncate'} title={f.name}>
      {f.type === 'text' || f.type === 'number' || f.type === 'date' ? (
        <label htmlFor={id}>{f.name}</label>
      ) : (
        f.name
      )}
    </dt>
  );
  if (f.type === 'select' || f.type === 'user') {
    const options =
      f.type === 'select'
        ? [{ value: '', label: 'None' }, ...(f.options ?? []).map((o) => ({ value: o, label: o }))]
        : [
            { value: '', label: 'Nobody' },
            ...dir.users.filter((u) => u.status === 'active' || u.id === v).map(userOption),
          ];
    return (
      <>
        {label}
        <dd data-testid={`field-${f.name}`}>
          <PropertyMenu
            label={f.name}
            value={typeof v === 'string' ? v : ''}
            options={options}
            trigger={
              v ? (
                <>
                  {f.type === 'user' && <Avatar name={dir.userName(String(v))} />}
                  <span className="truncate">{valueText(f, v, dir.userName)}</span>
                </>
              ) : (
                <span className="text-faint">{f.type === 'user' ? 'Nobody' : 'None'}</span>
              )
            }
            onChange={(x) => set(x === '' ? null : x)}
          />
          {serverError}
        </dd>
      </>
    );
  }
  if (f.type === 'multi_select') {
    const chosen = Array.isArray(v) ? v.map(String) : [];
    return (
      <>
        {label}
        <dd className="py-1" data-testid={`field-${f.name}`}>
          <FilterMenu
            label={f.name}
            options={(f.options ?? []).map((o) => ({ value: o, label: o }))}
            values={chosen}
            onToggle={(o) => set(toggleOption(f, v, o))}
          />
          {serverError}
        </dd>
      </>
    );
  }
  return (
    <>
      {label}
      <dd data-testid={`field-${f.name}`}>
        <TypedValue
          key={resetKey}
          id={id}
          field={f}
          value={v}
          set={set}
          live={live}
          describedBy={error ? `${id}-server-error` : undefined}
        />
        {serverError}
      </dd>
    </>
  );
}

/** A text, number or date value: saved on Enter, on leaving the input, or (dates) when picked; `live`,
 * at every valid change. */
function TypedValue({
  id,
  field: f,
  value,
  set,
  live,
  describedBy,
}: {
  id: string;
  field: FieldDef;
  value: unknown;
  set: (v: unknown) => void;
  live?: boolean;
  describedBy?: string;
}) {
  const initial = value === undefined || value === null ? '' : String(value);
  const [text, setText] = useState(initial);
  const [error, setError] = useState('');
  const save = (raw = text) => {
    if (!live && raw.trim() === initial) return;
    const p = parseInput(f.type, raw);
    if (p.error) return setError(`${f.name} ${p.error}`);
    setError('');
    set(p.value);
  };
  return (
    <>
      <input
        id={id}
        type={f.type === 'number' ? 'number' : f.type === 'date' ? 'date' : 'text'}
        step={f.type === 'number' ? 'any' : undefined}
        value={text}
        placeholder="Empty"
        aria-invalid={error || describedBy ? true : undefined}
        aria-describedby={error ? `${id}-error` : describedBy}
        onChange={(e) => {
          setText(e.target.value);
          if (live || f.type === 'date') save(e.target.value);
        }}
        onBlur={() => f.type !== 'date' && save()}
        onKeyDown={(e) => {
          if (e.key === 'Enter') save();
          if (e.key === 'Escape') setText(initial);
        }}
        className={inputCls + ' placeholder:text-faint'}
      />
      {error && (
        <p id={`${id}-error`} role="alert" className="px-2 text-xs text-red-700">
          {error}
        </p>
      )}
    </>
  );
}
