// Selection in the issue list and bulk edits (POST /v1/issues/bulk, at most
// 100 issues a request): the range a shift-click selects, the requests a
// selection needs and their merged result.
import type { components } from '../api/client';

export type BulkResult = components['schemas']['BulkResult'];
export type BulkItem = components['schemas']['BulkItem'];

export const BULK_MAX = 100;

/** The selection after a click on row `index` of `ids` (the list's order). A plain click toggles
 * that row; a shift-click sets every row from the anchor (the last plain click) to it to the
 * anchor's state, as file managers and Linear do. */
export function clickSelect(
  selected: ReadonlySet<string>,
  ids: readonly string[],
  index: number,
  anchor: number | null,
  shift: boolean,
): Set<string> {
  const next = new Set(selected);
  const id = ids[index];
  if (id === undefined) return next;
  if (shift && anchor !== null && ids[anchor] !== undefined) {
    const on = selected.has(ids[anchor]!);
    const [a, b] = anchor < index ? [anchor, index] : [index, anchor];
    for (let i = a; i <= b; i++) {
      if (on) next.add(ids[i]!);
      else next.delete(ids[i]!);
    }
    return next;
  }
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

/** Splits a list into requests of at most `size`. */
export function chunks<T>(xs: readonly T[], size = BULK_MAX): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** The results of several bulk requests as one. */
export function mergeResults(rs: BulkResult[]): BulkResult {
  return {
    results: rs.flatMap((r) => r.results),
    succeeded: rs.reduce((n, r) => n + r.succeeded, 0),
    failed: rs.reduce((n, r) => n + r.failed, 0),
  };
}

/** The items of a result that failed (a status other than 2xx). */
export function failures(r: BulkResult): BulkItem[] {
  return r.results.filter((i) => i.status < 200 || i.status > 299);
}
