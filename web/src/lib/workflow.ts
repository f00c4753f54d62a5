// The board lets a card be dropped only where the workflow allows (GET
// /v1/workflow); the server stays the judge and may still refuse.
import type { components } from '../api/schema';

export type Workflow = components['schemas']['Workflow'];
export type Status = components['schemas']['Issue']['status'];

export const STATUS_LABEL: Record<string, string> = {
  open: 'Open',
  in_progress: 'In progress',
  in_review: 'In review',
  closed: 'Closed',
};

export function statusLabel(s: string): string {
  return STATUS_LABEL[s] ?? s.replace(/_/g, ' ');
}

/** Statuses reachable from `from` in one transition. */
export function nextStatuses(w: Workflow | undefined, from: string): string[] {
  return w?.statuses.find((s) => s.status === from)?.next ?? [];
}

/** Whether a card in `from` may be dropped on column `to` (its own column is not a move; a status
 * being deleted takes no issue). */
export function canMove(w: Workflow | undefined, from: string, to: string): boolean {
  const target = w?.statuses.find((s) => s.status === to);
  return from !== to && !target?.retiring && nextStatuses(w, from).includes(to);
}

/** A status's name in the workflow (custom statuses have names of their own). */
export function statusName(w: Workflow | undefined, s: string): string {
  return w?.statuses.find((x) => x.status === s)?.name ?? statusLabel(s);
}

/** The board's columns, in the workflow's order. */
export function columns(w: Workflow | undefined): string[] {
  return (
    (w && [...w.statuses].sort((a, b) => a.order - b.order).map((s) => s.status)) ?? [
      'open',
      'in_progress',
      'in_review',
      'closed',
    ]
  );
}

/** What StatusIcon needs to draw a status of the workflow (custom ones by category and colour). */
export function statusIconProps(w: Workflow | undefined, s: string) {
  const st = w?.statuses.find((x) => x.status === s);
  return { status: s, name: st?.name ?? statusLabel(s), category: st?.category, color: st?.color };
}
