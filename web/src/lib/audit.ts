// The audit export: the API answers 1000 records at a time with a Link
// rel="next" to the rest; the file is every answer joined.
import { api } from '../api/client';
import { ApiError, type Problem } from '../api/problem';

/** The URL of rel="next" in a Link header, if any. */
export function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part.trim());
    if (m) return m[1];
  }
  return undefined;
}

/** Joins export answers into one file: CSV keeps the first header line only; JSON arrays are concatenated. */
export function joinPages(format: 'csv' | 'json', pages: string[]): string {
  if (format === 'json') return JSON.stringify(pages.flatMap((p) => JSON.parse(p) as unknown[]));
  return pages.map((p, i) => (i === 0 ? p : p.slice(p.indexOf('\n') + 1))).join('');
}

/** Downloads the whole audit log (at most 100 answers: 100,000 records). */
export async function exportAudit(format: 'csv' | 'json'): Promise<Blob> {
  const pages: string[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const r = await api().GET('/v1/audit/export', { params: { query: { format, cursor } }, parseAs: 'text' });
    if (!r.response.ok) {
      let problem: Partial<Problem> | undefined;
      try {
        problem = JSON.parse(String(r.error)) as Partial<Problem>;
      } catch {
        problem = undefined;
      }
      throw new ApiError(r.response.status, problem);
    }
    pages.push(r.data as unknown as string);
    const next = nextLink(r.response.headers.get('Link'));
    cursor = next ? (new URL(next, 'http://x').searchParams.get('cursor') ?? undefined) : undefined;
    if (!cursor) break;
  }
  return new Blob([joinPages(format, pages)], { type: format === 'csv' ? 'text/csv' : 'application/json' });
}
