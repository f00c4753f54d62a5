import { useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import { Check, X } from 'lucide-react';
import { useState } from 'react';
import { errorMessage } from '../../api/problem';
import { Banner, Button } from '../../components/ui';
import { failures, type BulkResult } from '../../lib/bulk';
import { can } from '../../lib/permissions';
import { cycleKeys, fetchProjectCycles } from '../cycles/data';
import { bulkEdit, bulkMove, type BulkChanges as Changes } from './bulkRun';
import { useWorkspaceCtx } from './context';
import { keys, useProjects, type Directory, type Issue } from './data';
import { NoteItem, PropertyMenu, userOption } from './pickers';
import { labelOptions, priorityOptions, workflowStatusOptions } from './options';
import { useProjectWorkflows } from './projectData';
import { bulkStatusChoices } from '../../lib/workflow';

const menuCls = 'border border-line bg-white text-xs';

/** The bar over a selection of issues: one change for all of them through POST /v1/issues/bulk (100 a
 * request, each issue with the version the list shows, so a change made meanwhile fails that issue
 * instead of overwriting it), or a move to another project (one move per issue: the bulk API has no
 * project), then the result per issue. */
export function BulkBar({
  slug,
  selected,
  dir,
  onClear,
}: {
  slug: string;
  selected: Issue[];
  dir: Directory;
  onClear: () => void;
}) {
  const qc = useQueryClient();
  const { me } = useWorkspaceCtx();
  const projects = useProjects(slug);
  const [result, setResult] = useState<{ what: string; r: BulkResult; keys: Map<string, string> } | null>(
    null,
  );
  const run = useMutation({
    mutationFn: async ({ changes, project }: { what: string; changes?: Changes; project?: string }) =>
      project ? bulkMove(selected, project) : bulkEdit(selected, changes ?? {}),
    onSuccess: async (r, v) => {
      setResult({ what: v.what, r, keys: new Map(selected.map((i) => [i.id, i.key])) });
      await qc.invalidateQueries({ queryKey: keys.issues(slug) });
      await qc.invalidateQueries({ queryKey: cycleKeys.all(slug) });
    },
  });
  const apply = (what: string, changes: Changes) => {
    setResult(null);
    run.mutate({ what, changes });
  };
  // The cycles the selection can join: the open cycles of the selected issues' projects.
  const projectIds = [...new Set(selected.map((i) => i.project_id))].sort();
  const cycleLists = useQueries({
    queries: projectIds.map((p) => ({
      queryKey: cycleKeys.list(slug, p),
      queryFn: () => fetchProjectCycles(p),
    })),
  });
  const projectKey = (id: string) => projects.data?.find((p) => p.id === id)?.key ?? '';
  // The statuses every selected issue's project has; the others are named with the issues that lack them.
  const workflows = useProjectWorkflows(slug, projectIds);
  const statusChoice = bulkStatusChoices(selected, workflows.of, projectKey);
  const cycles = cycleLists
    .flatMap((q) => q.data ?? [])
    .filter((c) => c.state !== 'completed')
    .sort((a, b) => a.starts_on.localeCompare(b.starts_on))
    .map((c) => ({
      value: c.id,
      label: projectIds.length > 1 ? `${projectKey(c.project_id ?? '')} · ${c.name}` : c.name,
    }));
  const failed = result ? failures(result.r) : [];
  const users = dir.users.filter((u) => u.status === 'active').map(userOption);
  const labels = labelOptions(dir);
  const noLabels = can(me.user.role, 'createLabel')
    ? 'No labels yet: create them under Settings → Labels.'
    : 'No labels yet: an Admin creates them.';
  return (
    <section
      aria-label="Bulk edit"
      className="border-b border-line bg-panel/60 px-4 py-1.5 text-xs"
      data-testid="bulk-bar"
    >
      <div className="flex flex-wrap items-center gap-1.5">
        <span className="mr-1 font-medium" role="status">
          {selected.length > 0 ? `${selected.length} selected` : 'The selected issues left this list'}
        </span>
        {selected.length > 0 && (
          <>
            <PropertyMenu
              label="Set status"
              value=""
              options={workflowStatusOptions(statusChoice.common)}
              empty={
                statusChoice.ready
                  ? "No status is in every selected issue's project workflow."
                  : 'Loading the projects’ workflows…'
              }
              footer={statusChoice.refused.length > 0 && <NotOffered refused={statusChoice.refused} />}
              onChange={(v) => apply('status', { status: v })}
              trigger={<span>Status</span>}
              className={menuCls}
              disabled={run.isPending}
            />
            <PropertyMenu
              label="Set priority"
              value=""
              options={priorityOptions}
              onChange={(v) => apply('priority', { priority: v as Changes['priority'] })}
              trigger={<span>Priority</span>}
              className={menuCls}
              disabled={run.isPending}
            />
            <PropertyMenu
              label="Set assignee"
              value="-"
              options={[{ value: '', label: 'Unassigned' }, ...users]}
              onChange={(v) => apply('assignee', { assignee_id: v || null })}
              trigger={<span>Assignee</span>}
              className={menuCls}
              disabled={run.isPending}
            />
            <PropertyMenu
              label="Add label"
              value=""
              options={labels}
              onChange={(v) => apply('labels', { labels: { add: [v] } })}
              trigger={<span>Add label</span>}
              className={menuCls}
              disabled={run.isPending}
              empty={noLabels}
            />
            <PropertyMenu
              label="Remove label"
              value=""
              options={labels}
              onChange={(v) => apply('labels', { labels: { remove: [v] } })}
              trigger={<span>Remove label</span>}
              className={menuCls}
              disabled={run.isPending}
              empty={noLabels}
            />
            <PropertyMenu
              label="Move to cycle"
              value="-"
              options={[{ value: '', label: 'No cycle' }, ...cycles]}
              onChange={(v) => apply('cycle', { cycle_id: v || null })}
              trigger={<span>Cycle</span>}
              className={menuCls}
              disabled={run.isPending}
            />
            <PropertyMenu
              label="Move to project"
              value="-"
              options={(projects.data ?? [])
                .filter((p) => !p.archived)
                .map((p) => ({ value: p.id, label: `${p.name} (${p.key})` }))}
              onChange={(v) => {
                setResult(null);
                run.mutate({ what: 'project', project: v });
              }}
              trigger={<span>Project</span>}
              className={menuCls}
              disabled={run.isPending}
              empty="No project to move to."
            />
          </>
        )}
        {run.isPending && <span className="text-muted">Updating {selected.length} issues…</span>}
        <span className="flex-1" />
        <Button size="sm" variant="ghost" onClick={onClear}>
          <X className="size-3" aria-hidden /> Clear selection
        </Button>
      </div>
      {run.isError && (
        <div className="mt-1.5">
          <Banner tone="error">{errorMessage(run.error)}</Banner>
        </div>
      )}
      {result && (
        <div className="mt-1.5" data-testid="bulk-result">
          <p role="status">
            {result.what}: {result.r.succeeded} updated
            {result.r.failed > 0 && (
              <span className="font-medium text-red-700">, {result.r.failed} failed</span>
            )}
          </p>
          {failed.length > 0 && (
            <ul className="mt-1 list-inside list-disc text-red-800" aria-label="Issues not updated">
              {failed.map((f) => (
                <li key={f.ref}>
                  <span className="font-mono">{f.key ?? result.keys.get(f.ref) ?? f.ref}</span>:{' '}
                  {f.detail ?? f.code ?? `HTTP ${f.status}`}
                </li>
              ))}
            </ul>
          )}
          <details className="mt-1" open={result.r.results.length <= 10}>
            <summary className="cursor-pointer text-muted hover:text-ink">Result per issue</summary>
            <ul className="mt-1 flex flex-wrap gap-x-4 gap-y-0.5" aria-label="Result per issue">
              {result.r.results.map((f) => {
                const ok = f.status >= 200 && f.status < 300;
                const before = result.keys.get(f.ref) ?? f.ref;
                return (
                  <li key={f.ref} className={ok ? 'text-ink' : 'text-red-800'} data-testid="bulk-item">
                    {ok ? (
                      <>
                        <Check className="mr-0.5 inline size-3 text-green-700" aria-hidden />
                        <span className="sr-only">updated: </span>
                      </>
                    ) : (
                      <>
                        <X className="mr-0.5 inline size-3" aria-hidden />
                        <span className="sr-only">not updated: </span>
                      </>
                    )}
                    <span className="font-mono">{before}</span>
                    {ok && f.key && f.key !== before && (
                      <>
                        {' → '}
                        <span className="font-mono">{f.key}</span>
                      </>
                    )}
                    {!ok && `: ${f.detail ?? f.code ?? `HTTP ${f.status}`}`}
                  </li>
                );
              })}
            </ul>
          </details>
        </div>
      )}
    </section>
  );
}

/** The statuses a bulk change does not offer, each with the selected issues that could not take it and
 * why (grouped by reason: a project without the status, or deleting it). */
function NotOffered({ refused }: { refused: ReturnType<typeof bulkStatusChoices>['refused'] }) {
  return (
    <div data-testid="status-not-offered">
      <NoteItem className="font-medium">Not offered for this selection:</NoteItem>
      {refused.map((r) => {
        const byReason = new Map<string, string[]>();
        for (const i of r.issues) byReason.set(i.reason, [...(byReason.get(i.reason) ?? []), i.key]);
        return [...byReason].map(([reason, ks]) => (
          <NoteItem key={`${r.status.status}:${reason}`}>
            {r.status.name}: {reason} (
            <span className="font-mono">
              {ks.slice(0, 5).join(', ')}
              {ks.length > 5 ? ` and ${ks.length - 5} more` : ''}
            </span>
            )
          </NoteItem>
        ));
      })}
    </div>
  );
}
