// The pickers of the chart pages (the console's analytics, the workspace's
// analytics, the cycles): a date range, a bucket, a month and choices (team,
// person, grouping), all labelled the same way. The pages keep the values in
// the URL; this only draws them. No Recharts here, so a page header can use it.
import { inputClass } from './ui';

export type Bucket = 'day' | 'week' | 'month';

export interface Choice {
  label: string;
  value: string;
  options: { value: string; label: string }[];
  onChange: (v: string) => void;
}

export function ChartPickers({
  range,
  bucket,
  month,
  choices = [],
  inline,
  compact,
}: {
  range?: { from?: string; to?: string; onChange: (k: 'from' | 'to', v: string) => void };
  bucket?: { value: string; onChange: (v: string) => void };
  month?: { label: string; value: string; onChange: (v: string) => void };
  choices?: Choice[];
  /** labels beside their fields (one picker in a row) rather than above them */
  inline?: boolean;
  /** in a card's title bar: the labels only for screen readers (the title says what is chosen) */
  compact?: boolean;
}) {
  const label = inline ? 'flex items-center gap-2 whitespace-nowrap' : 'flex flex-col gap-0.5';
  return (
    <div className="flex flex-wrap items-end gap-2 text-xs text-muted">
      {choices.map((c) => (
        <label key={c.label} className={label}>
          <span className={compact ? 'sr-only' : undefined}>{c.label}</span>
          <select
            className={`${inputClass} w-auto ${compact ? 'h-7 py-0 text-xs' : ''}`}
            value={c.value}
            onChange={(e) => c.onChange(e.target.value)}
          >
            {c.options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
      ))}
      {month && (
        <label className={label}>
          {month.label}
          <input
            type="month"
            className={`${inputClass} w-auto`}
            value={month.value}
            onChange={(e) => month.onChange(e.target.value)}
          />
        </label>
      )}
      {range && (
        <>
          <label className={label}>
            From
            <input
              type="date"
              className={`${inputClass} w-auto`}
              value={range.from ?? ''}
              onChange={(e) => range.onChange('from', e.target.value)}
            />
          </label>
          <label className={label}>
            To
            <input
              type="date"
              className={`${inputClass} w-auto`}
              value={range.to ?? ''}
              onChange={(e) => range.onChange('to', e.target.value)}
            />
          </label>
        </>
      )}
      {bucket && (
        <label className={label}>
          Per
          <select
            className={`${inputClass} w-auto`}
            value={bucket.value}
            onChange={(e) => bucket.onChange(e.target.value)}
          >
            <option value="day">day</option>
            <option value="week">week</option>
            <option value="month">month</option>
          </select>
        </label>
      )}
    </div>
  );
}
