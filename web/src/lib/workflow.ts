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

export type WorkflowStatus = Workflow['statuses'][number];

const CATEGORY_ORDER = ['unstarted', 'started', 'completed', 'canceled'];

/** The statuses of several projects' workflows (an "All projects" list), each id once: in category
 * order, then in the order of the first workflow naming it. An id named differently in two projects
 * keeps the first name. */
export function statusUnion(wfs: (Workflow | undefined)[]): WorkflowStatus[] {
  const seen = new Map<string, { s: WorkflowStatus; n: number }>();
  let n = 0;
  for (const w of wfs) {
    for (const s of [...(w?.statuses ?? [])].sort((a, b) => a.order - b.order)) {
      if (!seen.has(s.status)) seen.set(s.status, { s, n: n++ });
    }
  }
  return [...seen.values()]
    .sort((a, b) => CATEGORY_ORDER.indexOf(a.s.category) - CATEGORY_ORDER.indexOf(b.s.category) || a.n - b.n)
    .map((x) => x.s);
}

/** What StatusIcon needs for an issue's status in its own project's workflow. */
export function issueStatusProps(
  wfOf: (projectId: string) => Workflow | undefined,
  issue: { project_id: string; status: string },
) {
  return statusIconProps(wfOf(issue.project_id), issue.status);
}

export interface BulkStatusChoices {
  /** false while a selected issue's project workflow is still loading */
  ready: boolean;
  /** the statuses every selected issue's project has (and is not deleting) */
  common: WorkflowStatus[];
  /** the statuses some selected projects have but not all, with each issue that cannot take one */
  refused: { status: WorkflowStatus; issues: { key: string; reason: string }[] }[];
}

/** The statuses a bulk status change may offer a selection across projects: only those valid in the
 * workflow of every selected issue's project. Each other status is listed with the issues that could
 * not take it and why (the server would refuse those issues with unknown_status). Whether each issue
 * may move there from its current status stays the server's answer, per issue. */
export function bulkStatusChoices(
  issues: { key: string; project_id: string }[],
  wfOf: (projectId: string) => Workflow | undefined,
  projectKey: (projectId: string) => string,
): BulkStatusChoices {
  const projects = [...new Set(issues.map((i) => i.project_id))];
  const wfs = projects.map(wfOf);
  if (projects.length === 0 || wfs.some((w) => !w)) return { ready: false, common: [], refused: [] };
  const usable = (w: Workflow | undefined, status: string) =>
    w?.statuses.some((s) => s.status === status && !s.retiring) ?? false;
  const common: WorkflowStatus[] = [];
  const refused: BulkStatusChoices['refused'] = [];
  for (const s of statusUnion(wfs)) {
    const bad = issues.filter((i) => !usable(wfOf(i.project_id), s.status));
    if (bad.length === 0) {
      common.push(s);
      continue;
    }
    refused.push({
      status: s,
      issues: bad.map((i) => {
        const w = wfOf(i.project_id);
        const key = projectKey(i.project_id) || 'its project';
        return {
          key: i.key,
          reason: w?.statuses.some((x) => x.status === s.status)
            ? `${s.name} is being deleted in ${key}`
            : `${key} has no ${s.name} status`,
        };
      }),
    });
  }
  return { ready: true, common, refused };
}
