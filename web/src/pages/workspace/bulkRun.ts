// The bulk writes the list's bar and the cycle pages send: POST /v1/issues/bulk
// (100 issues a request, each with the version shown, so an issue changed
// meanwhile fails alone) and moves to another project, which the bulk API does
// not take: one POST /v1/issues/{id}/move per issue, in the selection's order
// (so the new keys keep it), with the same per-issue result shape.
import { api, unwrap, type components } from '../../api/client';
import { ApiError } from '../../api/problem';
import { chunks, mergeResults, type BulkItem, type BulkResult } from '../../lib/bulk';

export type BulkChanges = components['schemas']['BulkChanges'];

export async function bulkEdit(
  issues: readonly { id: string; version: number }[],
  changes: BulkChanges,
): Promise<BulkResult> {
  const rs: BulkResult[] = [];
  for (const part of chunks(issues)) {
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
}

/** Moves each issue to the project (its status mapped into that project's workflow by the server). */
export async function bulkMove(
  issues: readonly { id: string; key: string; project_id: string }[],
  projectId: string,
  parallel = 1,
): Promise<BulkResult> {
  const results: BulkItem[] = new Array(issues.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < issues.length; i = next++) {
      const it = issues[i]!;
      if (it.project_id === projectId) {
        results[i] = { ref: it.id, key: it.key, status: 200, detail: 'already in the project' };
        continue;
      }
      try {
        const moved = await unwrap(
          api().POST('/v1/issues/{issueId}/move', {
            params: { path: { issueId: it.id }, header: { 'Idempotency-Key': crypto.randomUUID() } },
            body: { project_id: projectId },
          }),
        );
        results[i] = { ref: it.id, id: moved.id, key: moved.key, status: 200, version: moved.version };
      } catch (e) {
        const p = e instanceof ApiError ? e.problem : undefined;
        results[i] = {
          ref: it.id,
          key: it.key,
          status: p?.status ?? 0,
          code: p?.code,
          detail: p?.detail || p?.title || String(e),
        };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, issues.length) }, worker));
  const failed = results.filter((r) => r.status < 200 || r.status > 299).length;
  return { results, succeeded: results.length - failed, failed };
}
