// The workflow settings screen edits a draft of a project's workflow and
// sends it whole (PUT /v1/projects/{id}/workflow, If-Match its version).
// These helpers shape the draft and check it before sending, with the
// server's rules (internal/issue/workflow.go Validate): ids of 1-32
// lower-case letters, digits or _, names unique ignoring case, a status in
// each of unstarted, started and completed, transitions between statuses of
// the workflow only. The server stays the judge; its field errors
// (statuses[2].name) are mapped back onto the rows.
import type { components } from '../api/schema';

export type Workflow = components['schemas']['Workflow'];
export type StatusInput = components['schemas']['StatusInput'];
export type Category = StatusInput['category'];

export const CATEGORIES: { value: Category; label: string }[] = [
  { value: 'unstarted', label: 'Unstarted' },
  { value: 'started', label: 'Started' },
  { value: 'completed', label: 'Completed' },
  { value: 'canceled', label: 'Canceled' },
];
export const REQUIRED: Category[] = ['unstarted', 'started', 'completed'];
export const CATEGORY_COLOR: Record<Category, string> = {
  unstarted: '#8a8f98',
  started: '#f2c94c',
  completed: '#4cb782',
  canceled: '#95a2b3',
};
const MAX_NAME = 40;
const MAX_STATUSES = 50;
const ID_RE = /^[a-z][a-z0-9_]{0,31}$/;

/** A draft status: what the PUT takes (colour and next always set). */
export type DraftStatus = Required<StatusInput>;

/** The draft of a stored workflow (retiring statuses stay: the server keeps them until their job ends). */
export function toDraft(w: Workflow): DraftStatus[] {
  return [...w.statuses]
    .sort((a, b) => a.order - b.order)
    .map((s) => ({
      status: s.status,
      name: s.name,
      category: s.category,
      color: s.color,
      next: [...s.next],
    }));
}

/** Whether the draft differs from the stored workflow. */
export function isDirty(w: Workflow | undefined, d: DraftStatus[]): boolean {
  return !!w && JSON.stringify(toDraft(w)) !== JSON.stringify(d);
}

const fold = (s: string) => s.normalize('NFC').trim().toLocaleLowerCase();

/** A status id from a name, unique in the draft (`Ready for QA` → `ready_for_qa`, then `ready_for_qa_2`). */
export function statusId(name: string, taken: string[]): string {
  let base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!/^[a-z]/.test(base)) base = `s_${base}`.replace(/_+$/, '');
  base = base.slice(0, 28);
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}_${n}`;
  return id;
}

/** Adds a status at the end; every other status may move to it and it may move to every other. */
export function addStatus(d: DraftStatus[], name: string, category: Category, color?: string): DraftStatus[] {
  const id = statusId(
    name,
    d.map((s) => s.status),
  );
  const others = d.map((s) => s.status);
  return [
    ...d.map((s) => ({ ...s, next: [...s.next, id] })),
    { status: id, name: name.trim(), category, color: color ?? CATEGORY_COLOR[category], next: others },
  ];
}

export function updateStatus(d: DraftStatus[], id: string, change: Partial<Omit<DraftStatus, 'status'>>) {
  return d.map((s) => (s.status === id ? { ...s, ...change } : s));
}

/** Moves a status one place up (-1) or down (+1) in the board order. */
export function moveStatus(d: DraftStatus[], id: string, by: -1 | 1): DraftStatus[] {
  const i = d.findIndex((s) => s.status === id);
  const j = i + by;
  if (i < 0 || j < 0 || j >= d.length) return d;
  const out = [...d];
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}

/** Allows or forbids the transition from → to. */
export function toggleTransition(d: DraftStatus[], from: string, to: string): DraftStatus[] {
  if (from === to) return d;
  return d.map((s) =>
    s.status !== from
      ? s
      : {
          ...s,
          next: s.next.includes(to)
            ? s.next.filter((x) => x !== to)
            : d.map((x) => x.status).filter((x) => x === to || s.next.includes(x)),
        },
  );
}

/** The draft without a status and every transition into it (a status no issue is in). */
export function removeStatus(d: DraftStatus[], id: string): DraftStatus[] {
  return d.filter((s) => s.status !== id).map((s) => ({ ...s, next: s.next.filter((x) => x !== id) }));
}

/** Problems of the draft by field, in the server's names (`statuses[1].name`, `statuses`). */
export function validateDraft(d: DraftStatus[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (d.length === 0 || d.length > MAX_STATUSES) out.statuses = `Give 1 to ${MAX_STATUSES} statuses.`;
  const names = new Map<string, number>();
  const ids = new Set(d.map((s) => s.status));
  d.forEach((s, i) => {
    const at = (f: string) => `statuses[${i}].${f}`;
    if (!ID_RE.test(s.status)) out[at('status')] = 'must be 1-32 lower-case letters, digits or _';
    const n = s.name.trim();
    if (!n || [...n].length > MAX_NAME) out[at('name')] = `must be 1-${MAX_NAME} characters`;
    else if (names.has(fold(n))) out[at('name')] = `is the name of another status`;
    else names.set(fold(n), i);
    if (!/^#[0-9a-fA-F]{6}$/.test(s.color)) out[at('color')] = 'must be a hex colour #rrggbb';
    s.next.forEach((to, k) => {
      if (!ids.has(to) || to === s.status) out[`${at('next')}[${k}]`] = `${to} is not another status`;
    });
  });
  const missing = REQUIRED.filter((c) => !d.some((s) => s.category === c));
  if (missing.length && !out.statuses)
    out.statuses = `The workflow needs at least one ${missing.join(', ')} status.`;
  return out;
}

/** The server's field errors (and ours) of one status row, by the row's field. */
export function rowErrors(errors: Record<string, string>, index: number): Record<string, string> {
  const p = `statuses[${index}].`;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(errors)) {
    if (!k.startsWith(p)) continue;
    const f = k.slice(p.length).replace(/\[\d+\]$/, '');
    out[f] ??= v;
  }
  return out;
}

/** Where the issues of a status being deleted may go: another status no deletion retires. */
export function mapTargets(w: Workflow | undefined, deleting: string) {
  return (w?.statuses ?? []).filter((s) => s.status !== deleting && !s.retiring);
}
