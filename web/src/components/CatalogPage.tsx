// A settings page that lists a catalog (labels, teams, projects): its header
// with the "New …" action for those who may use it, and the list's loading,
// error and empty states around the list itself.
import type { UseQueryResult } from '@tanstack/react-query';
import { Plus } from 'lucide-react';
import type { ReactNode } from 'react';
import { PageHeader, theadClass } from './page';
import { Button, cx, EmptyState, ErrorState, Skeleton } from './ui';

export function CatalogPage<T>({
  title,
  description,
  newLabel,
  onNew,
  query,
  empty,
  className,
  children,
  after,
}: {
  title: string;
  description: ReactNode;
  /** The create button's text; the button shows only with onNew (the caller's role may create). */
  newLabel: string;
  onNew?: () => void;
  query: UseQueryResult<T[]>;
  empty: { icon: ReactNode; title: string; body?: ReactNode };
  className?: string;
  children: (items: T[]) => ReactNode;
  /** Rendered after the list (the create/edit dialog). */
  after?: ReactNode;
}) {
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">{title}</span>}
        description={description}
        actions={
          onNew && (
            <Button variant="primary" onClick={onNew}>
              <Plus className="size-4" aria-hidden /> {newLabel}
            </Button>
          )
        }
      />
      <div className={cx('p-4 sm:px-6', className)}>
        {query.isPending ? (
          <Skeleton />
        ) : query.isError ? (
          <ErrorState error={query.error} onRetry={() => void query.refetch()} />
        ) : !query.data || query.data.length === 0 ? (
          <EmptyState icon={empty.icon} title={empty.title}>
            {empty.body}
          </EmptyState>
        ) : (
          children(query.data)
        )}
      </div>
      {after}
    </main>
  );
}

/** A table head: column names, or `{ label, hidden: true }` for a column named only to screen readers. */
export function TableHead({
  columns,
  cell = 'px-3 py-2',
}: {
  columns: (string | { label: string; hidden: true })[];
  /** The cells' padding (the console's cards use px-4). */
  cell?: string;
}) {
  return (
    <thead className={theadClass}>
      <tr>
        {columns.map((c) =>
          typeof c === 'string' ? (
            <th key={c} scope="col" className={`${cell} font-medium`}>
              {c}
            </th>
          ) : (
            <th key={c.label} scope="col" className={cell}>
              <span className="sr-only">{c.label}</span>
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}
