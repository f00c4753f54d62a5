// Building blocks of the console and settings pages: a page header, cards,
// status badges, usage gauges and a sortable column header.
import { ArrowDown, ArrowUp, ArrowUpDown } from 'lucide-react';
import type { ReactNode } from 'react';
import { cx } from './ui';

export function PageHeader({
  title,
  description,
  actions,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <div className="flex flex-wrap items-start gap-3 border-b border-line px-4 py-4 sm:px-6">
      <div className="min-w-0 flex-1">
        <h1 className="text-lg font-semibold">{title}</h1>
        {description && <div className="mt-0.5 text-sm text-muted">{description}</div>}
      </div>
      {actions && <div className="flex flex-wrap items-center gap-2">{actions}</div>}
    </div>
  );
}

export function Card({
  title,
  actions,
  children,
  className,
  id,
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  id?: string;
}) {
  return (
    <section
      className={cx('rounded-lg border border-line bg-white', className)}
      aria-labelledby={title && id ? `${id}-title` : undefined}
    >
      {title && (
        <div className="flex flex-wrap items-center gap-2 border-b border-line px-4 py-2.5">
          <h2 id={id ? `${id}-title` : undefined} className="min-w-0 flex-1 text-sm font-semibold">
            {title}
          </h2>
          {actions}
        </div>
      )}
      <div className="p-4">{children}</div>
    </section>
  );
}

const tones: Record<string, string> = {
  green: 'bg-green-50 text-green-800 ring-green-600/20',
  amber: 'bg-amber-50 text-amber-900 ring-amber-600/25',
  red: 'bg-red-50 text-red-800 ring-red-600/20',
  blue: 'bg-blue-50 text-blue-800 ring-blue-600/20',
  gray: 'bg-panel text-muted ring-line',
};

export function Badge({ tone = 'gray', children }: { tone?: keyof typeof tones; children: ReactNode }) {
  return (
    <span
      className={cx(
        'inline-flex items-center rounded-full px-2 py-0.5 text-2xs font-medium whitespace-nowrap ring-1 ring-inset',
        tones[tone],
      )}
    >
      {children}
    </span>
  );
}

const statusTone: Record<string, keyof typeof tones> = {
  active: 'green',
  suspended: 'red',
  failed: 'red',
  deleted: 'gray',
  offboarding: 'amber',
  provisioning: 'blue',
  registered: 'blue',
  pending_approval: 'amber',
  pending_payment: 'amber',
  pending_verification: 'gray',
  disabled: 'red',
};

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={statusTone[status] ?? 'gray'}>{status.replace(/_/g, ' ')}</Badge>;
}

/** Used against a limit, as a bar (amber from 80 %, red from 100 %). */
export function Gauge({
  label,
  used,
  limit,
  format = (n) => n.toLocaleString('en-US'),
  compact,
}: {
  label: string;
  used: number;
  limit: number;
  format?: (n: number) => string;
  /** In a table cell: the figures without the label (the meter keeps it). */
  compact?: boolean;
}) {
  const pct = limit > 0 ? Math.round((used / limit) * 100) : 0;
  return (
    <div
      className="space-y-1"
      data-testid={compact ? undefined : `gauge-${label.toLowerCase().replace(/\W+/g, '-')}`}
    >
      <div className="flex items-baseline gap-2 text-xs">
        {!compact && <span className="flex-1 font-medium">{label}</span>}
        <span className="text-muted tabular-nums">
          {format(used)} {limit > 0 ? `of ${format(limit)}` : '(no limit)'}
        </span>
      </div>
      <div
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.min(pct, 100)}
        aria-valuetext={`${pct} %`}
        className="h-1.5 overflow-hidden rounded-full bg-panel"
      >
        <div
          className={cx(
            'h-full rounded-full',
            pct >= 100 ? 'bg-red-600' : pct >= 80 ? 'bg-amber-500' : 'bg-brand',
          )}
          style={{ width: `${Math.min(pct, 100)}%` }}
        />
      </div>
    </div>
  );
}

/** A KPI figure. */
export function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div className="rounded-lg border border-line bg-white px-4 py-3">
      <div className="text-xs text-muted">{label}</div>
      <div className="mt-1 text-xl font-semibold tabular-nums">{value}</div>
      {hint && <div className="mt-0.5 text-xs text-muted">{hint}</div>}
    </div>
  );
}

/** A column header that sorts the table (aria-sort on the th). */
export function SortHeader({
  label,
  active,
  dir,
  onSort,
  className,
}: {
  label: string;
  active: boolean;
  dir: 'asc' | 'desc';
  onSort: () => void;
  className?: string;
}) {
  const Icon = !active ? ArrowUpDown : dir === 'asc' ? ArrowUp : ArrowDown;
  return (
    <th
      scope="col"
      aria-sort={active ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'}
      className={cx('px-3 py-2 font-medium', className)}
    >
      <button type="button" onClick={onSort} className="inline-flex items-center gap-1 hover:text-ink">
        {label}
        <Icon className={cx('size-3', !active && 'opacity-40')} aria-hidden />
      </button>
    </th>
  );
}

export const tableClass = 'w-full text-left text-sm';
export const theadClass = 'border-b border-line bg-panel text-xs text-muted';
export const rowClass = 'border-b border-line last:border-0';
