import { useMutation, useQueryClient } from '@tanstack/react-query';
import { X } from 'lucide-react';
import { useState } from 'react';
import { api, unwrap, type components } from '../../api/client';
import { errorMessage } from '../../api/problem';
import { Banner, Button } from '../../components/ui';
import { chunks, failures, mergeResults, type BulkResult } from '../../lib/bulk';
import { keys, type Directory, type Issue } from './data';
import { PropertyMenu, userOption } from './pickers';
import { labelOptions, priorityOptions, statusOptions } from './options';

type Changes = components['schemas']['BulkChanges'];

/** The bar over a selection of issues: one change for all of them through POST /v1/issues/bulk (100 a
 * request, each issue with the version the list shows, so a change made meanwhile fails that issue
 * instead of overwriting it), then the result per issue. */
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
  const [result, setResult] = useState<{ what: string; r: BulkResult } | null>(null);
  const run = useMutation({
    mutationFn: async ({ changes }: { what: string; changes: Changes }) => {
      const rs: BulkResult[] = [];
      for (const part of chunks(selected)) {
        rs.push(
          await unwrap(
            api().POST('/v1/issues/bulk', {
              params: { header: { 'Idempotency-Key': crypto.randomUUID() } },
              body: { issues: part.map((i) => ({ id: i.id, version: i.version })), changes },
            }),
          ),
        );
      }
      return mergeResults(rs);
    },
    onSuccess: async (r, v) => {
      setResult({ what: v.what, r });
      await qc.invalidateQueries({ queryKey: keys.issues(slug) });
    },
  });
  const apply = (what: string, changes: Changes) => {
    setResult(null);
    run.mutate({ what, changes });
  };
  const byId = new Map(selected.map((i) => [i.id, i]));
  const failed = result ? failures(result.r) : [];
  const users = dir.users.filter((u) => u.status === 'active').map(userOption);
  const labels = labelOptions(dir);
  return (
    <section
      aria-label="Bulk edit"
      className="border-b border-line bg-panel/60 px-4 py-1.5 text-xs"
      data-testid="bulk-bar"
    >
      <div className="flex flex-wrap items-center gap-1.5">
        <span className="mr-1 font-medium" role="status">
          {selected.length} selected
        </span>
        <PropertyMenu
          label="Set status"
          value=""
          options={statusOptions}
          onChange={(v) => apply('status', { status: v as Changes['status'] })}
          trigger={<span>Status</span>}
          className="border border-line bg-white text-xs"
          disabled={run.isPending}
        />
        <PropertyMenu
          label="Set priority"
          value=""
          options={priorityOptions}
          onChange={(v) => apply('priority', { priority: v as Changes['priority'] })}
          trigger={<span>Priority</span>}
          className="border border-line bg-white text-xs"
          disabled={run.isPending}
        />
        <PropertyMenu
          label="Set assignee"
          value="-"
          options={[{ value: '', label: 'Unassigned' }, ...users]}
          onChange={(v) => apply('assignee', { assignee_id: v || null })}
          trigger={<span>Assignee</span>}
          className="border border-line bg-white text-xs"
          disabled={run.isPending}
        />
        <PropertyMenu
          label="Add label"
          value=""
          options={labels}
          onChange={(v) => apply('labels', { labels: { add: [v] } })}
          trigger={<span>Add label</span>}
          className="border border-line bg-white text-xs"
          disabled={run.isPending || labels.length === 0}
        />
        <PropertyMenu
          label="Remove label"
          value=""
          options={labels}
          onChange={(v) => apply('labels', { labels: { remove: [v] } })}
          trigger={<span>Remove label</span>}
          className="border border-line bg-white text-xs"
          disabled={run.isPending || labels.length === 0}
        />
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
                  <span className="font-mono">{f.key ?? byId.get(f.ref)?.key ?? f.ref}</span>:{' '}
                  {f.detail ?? f.code ?? `HTTP ${f.status}`}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
