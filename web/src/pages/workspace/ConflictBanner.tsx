import { GitMerge } from 'lucide-react';
import { Button } from '../../components/ui';
import { statusLabel } from '../../lib/workflow';
import type { Directory } from './data';
import type { PendingConflict } from './writes';

const FIELD: Record<string, string> = {
  title: 'title',
  description: 'description',
  status: 'status',
  priority: 'priority',
  type: 'type',
  assignee_id: 'assignee',
  team_id: 'team',
  labels: 'labels',
  due_date: 'due date',
};

function show(field: string, v: unknown, d: Directory): string {
  if (v === undefined || v === null || v === '') return 'none';
  if (field === 'status') return statusLabel(String(v));
  if (field === 'assignee_id') return d.userName(String(v));
  if (field === 'team_id') return d.team(String(v))?.name ?? 'a team';
  if (field === 'labels') return (v as string[]).map((id) => d.label(id)?.name ?? id).join(', ') || 'none';
  if (field === 'description') return 'edited';
  return String(v);
}

/** A 412 told us someone changed the issue first: say what, and let the user reapply theirs. */
export function ConflictBanner({
  c,
  dir,
  onReapply,
  onDismiss,
}: {
  c: PendingConflict;
  dir: Directory;
  onReapply: () => void;
  onDismiss: () => void;
}) {
  const mine =
    c.mine.kind === 'transition'
      ? [`status → ${statusLabel(c.mine.to)}`]
      : Object.entries(c.mine.patch).map(([f, v]) => `${FIELD[f] ?? f} → ${show(f, v, dir)}`);
  return (
    <div
      role="alert"
      data-testid="conflict"
      className="rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950"
    >
      <div className="flex items-start gap-2">
        <GitMerge className="mt-0.5 size-4 shrink-0" aria-hidden />
        <div className="min-w-0 flex-1 space-y-1">
          <p className="font-medium">{c.latest.key} was changed by someone else while you were editing.</p>
          {c.theirs.length > 0 && (
            <p>
              Their change:{' '}
              {c.theirs.map((f) => `${FIELD[f] ?? f} → ${show(f, c.latest[f], dir)}`).join('; ')}.
            </p>
          )}
          <p>
            Your change, not saved: {mine.join('; ')}.
            {c.clashes.length > 0 && ' Reapplying replaces their value.'}
          </p>
          <div className="flex gap-2 pt-1">
            {!c.alreadyApplied && (
              <Button size="sm" variant="primary" onClick={onReapply}>
                Reapply my change
              </Button>
            )}
            <Button size="sm" onClick={onDismiss}>
              {c.alreadyApplied ? 'OK' : 'Keep theirs'}
            </Button>
          </div>
        </div>
      </div>
    </div>
  );
}
