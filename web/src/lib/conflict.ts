// Optimistic writes carry the issue's ETag (If-Match). When someone else
// changed the issue first the API answers 412; these helpers tell what they
// changed and whether the user's own change can be reapplied on top.
import type { components } from '../api/schema';

export type Issue = components['schemas']['Issue'];
/** A JSON merge patch of an issue (null clears a field), as PATCH /v1/issues/{id} takes it. */
export type IssuePatch = Omit<components['schemas']['Patch'], 'status'>;

export const EDITABLE = [
  'title',
  'description',
  'status',
  'priority',
  'type',
  'assignee_id',
  'team_id',
  'labels',
  'due_date',
] as const;
export type Field = (typeof EDITABLE)[number];

function norm(v: unknown): string {
  if (v === undefined || v === null || v === '') return '';
  if (Array.isArray(v)) return JSON.stringify([...v].map(String).sort());
  return String(v);
}

/** The fields whose values differ between two versions of an issue. */
export function changedFields(before: Issue, after: Issue): Field[] {
  return EDITABLE.filter((f) => norm(before[f]) !== norm(after[f]));
}

/** Applies a merge patch to an issue (what the server will do, for the optimistic view). */
export function applyPatch(i: Issue, patch: IssuePatch): Issue {
  const out: Issue = { ...i };
  for (const [k, v] of Object.entries(patch) as [keyof IssuePatch, unknown][]) {
    (out as Record<string, unknown>)[k] = v === null ? undefined : v;
  }
  return out;
}

export interface Conflict {
  /** What the other person changed since the version the user edited. */
  theirs: Field[];
  /** The user's fields that the other person also changed, to other values. */
  clashes: Field[];
  /** The user's change is already what the issue holds now. */
  alreadyApplied: boolean;
}

/** Compares the user's patch (made on `base`) with the issue as it is now (`latest`). */
export function conflict(base: Issue, latest: Issue, patch: IssuePatch): Conflict {
  const theirs = changedFields(base, latest);
  const mine = Object.keys(patch) as Field[];
  const clashes = mine.filter(
    (f) => theirs.includes(f) && norm(latest[f]) !== norm(patch[f as keyof IssuePatch]),
  );
  const alreadyApplied = mine.every((f) => norm(latest[f]) === norm(patch[f as keyof IssuePatch]));
  return { theirs, clashes, alreadyApplied };
}
