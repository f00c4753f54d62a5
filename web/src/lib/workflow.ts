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

/** Whether a card in `from` may be dropped on column `to` (its own column is not a move). */
export function canMove(w: Workflow | undefined, from: string, to: string): boolean {
  return from !== to && nextStatuses(w, from).includes(to);
}

/** The board's columns, in the workflow's order. */
export function columns(w: Workflow | undefined): string[] {
  return w?.statuses.map((s) => s.status) ?? ['open', 'in_progress', 'in_review', 'closed'];
}
