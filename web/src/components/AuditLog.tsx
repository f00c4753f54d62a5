// One audit log table: Root's tenant page and the workspace's audit settings
// page both list records with it.
import type { components } from '../api/schema';
import { rowClass, tableClass, theadClass } from './page';
import { Button, scrollable } from './ui';

export type AuditRecord = components['schemas']['Record'];

const COLUMNS = ['When', 'Who', 'What', 'Detail'];

export function AuditTable({
  items,
  hasMore,
  loadingMore,
  onMore,
}: {
  items: AuditRecord[];
  hasMore: boolean;
  loadingMore: boolean;
  onMore: () => void;
}) {
  return (
    <div {...scrollable('Audit log records')} className="-m-4 overflow-x-auto">
      <table className={tableClass} aria-label="Audit log">
        <thead className={theadClass}>
          <tr>
            {COLUMNS.map((c) => (
              <th key={c} scope="col" className="px-4 py-2 font-medium">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {items.map((r, i) => (
            <tr key={`${r.at}-${i}`} className={rowClass} data-testid="audit-row">
              <td className="px-4 py-1.5 whitespace-nowrap text-muted">
                {new Date(r.at).toLocaleString('en-GB')}
              </td>
              <td className="px-4 py-1.5 break-all">{r.actor.email || r.actor.id || r.actor.kind}</td>
              <td className="px-4 py-1.5 font-mono text-xs">{r.action}</td>
              <td className="px-4 py-1.5 text-xs text-muted">
                {Object.entries(r.detail ?? {})
                  .map(([k, v]) => `${k}: ${v}`)
                  .join(' · ')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {hasMore && (
        <div className="p-3">
          <Button size="sm" busy={loadingMore} onClick={onMore}>
            Load more
          </Button>
        </div>
      )}
    </div>
  );
}
