// Charts (Recharts) with their data: every chart of the console, the analytics,
// the usage and the cycle pages is a ChartCard — its title, its own pickers
// (ChartPickers), a CSV link and its numbers as a table on demand — so the
// pages only say what to draw. Only those pages import this module, so
// Recharts stays out of the workspace's first load.
import { Download } from 'lucide-react';
import { useMemo, type ReactNode } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { toCSV, type Column } from '../lib/csv';
import { Card } from './page';
import { scrollable } from './ui';

export const PALETTE = ['#4f5bd5', '#0f7b6c', '#c2410c', '#7c3aed', '#be185d', '#475569'];

export interface Series<T> {
  key: keyof T & string;
  label: string;
  color?: string;
}

type Row = Record<string, string | number | undefined>;

export function ChartCard<T extends Row>({
  id,
  title,
  data,
  x,
  xLabel,
  series,
  kind = 'bar',
  stacked,
  layout = 'horizontal',
  height = 240,
  empty = 'No data for this range.',
  format,
  className,
  controls,
  note,
  dots,
}: {
  id: string;
  title: string;
  data: T[];
  x: keyof T & string;
  xLabel: string;
  series: Series<T>[];
  kind?: 'bar' | 'line';
  stacked?: boolean;
  /** 'vertical': bars run left to right, categories down the side (long names). */
  layout?: 'horizontal' | 'vertical';
  height?: number;
  empty?: string;
  format?: (n: number) => string;
  className?: string;
  /** the card's own pickers (ChartPickers), beside its title */
  controls?: ReactNode;
  /** a line under the chart: where its figures come from */
  note?: ReactNode;
  /** line charts: mark each point (few points) */
  dots?: boolean;
}) {
  const columns: Column<T>[] = useMemo(
    () => [{ key: x, label: xLabel }, ...series.map((s) => ({ key: s.key, label: s.label }))],
    [x, xLabel, series],
  );
  const href = useMemo(
    () => `data:text/csv;charset=utf-8,${encodeURIComponent(toCSV(data, columns))}`,
    [data, columns],
  );
  const fmt = format ?? ((n: number) => n.toLocaleString('en-US'));
  const axisNum = { fontSize: 11, fill: '#52525b' };
  const vertical = layout === 'vertical';
  const lines = series.map((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    return kind === 'line' ? (
      <Line
        key={s.key}
        dataKey={s.key as string}
        name={s.label}
        stroke={color}
        strokeWidth={2}
        dot={dots ? { r: 3 } : false}
        connectNulls={false}
        isAnimationActive={false}
      />
    ) : (
      <Bar
        key={s.key}
        dataKey={s.key as string}
        name={s.label}
        fill={color}
        stackId={stacked ? 'a' : undefined}
        isAnimationActive={false}
        maxBarSize={32}
      />
    );
  });
  const Chart = kind === 'line' ? LineChart : BarChart;
  return (
    <Card
      id={id}
      title={title}
      className={className}
      actions={
        <>
          {controls}
          <CsvLink href={href} id={id} title={title} />
        </>
      }
    >
      {data.length === 0 ? (
        <p className="py-8 text-center text-sm text-muted">{empty}</p>
      ) : (
        <ChartBody title={title} height={vertical ? Math.max(height, data.length * 28 + 40) : height}>
          <Chart
            data={data}
            layout={layout}
            margin={{ top: 4, right: 8, bottom: 0, left: vertical ? 8 : -16 }}
            accessibilityLayer={false}
          >
            <CartesianGrid stroke="#e6e6e9" vertical={vertical} horizontal={!vertical} />
            {vertical ? (
              <>
                <XAxis type="number" tick={axisNum} tickFormatter={fmt} allowDecimals={false} />
                <YAxis type="category" dataKey={x as string} tick={axisNum} width={110} />
              </>
            ) : (
              <>
                <XAxis dataKey={x as string} tick={axisNum} minTickGap={12} />
                <YAxis tick={axisNum} tickFormatter={fmt} allowDecimals={false} />
              </>
            )}
            <Tooltip formatter={(v) => (typeof v === 'number' ? fmt(v) : String(v))} />
            {series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
            {lines}
          </Chart>
        </ChartBody>
      )}
      {note && <p className="mt-2 text-xs text-muted">{note}</p>}
      {data.length > 0 && <DataTable id={id} title={title} data={data} columns={columns} format={fmt} />}
    </Card>
  );
}

function CsvLink({ href, id, title }: { href: string; id: string; title: string }) {
  return (
    <a
      href={href}
      download={`${id}.csv`}
      className="inline-flex h-7 items-center gap-1 rounded-md border border-line px-2 text-xs font-medium hover:bg-panel"
      aria-label={`${title}: download CSV`}
    >
      <Download className="size-3.5" aria-hidden /> CSV
    </a>
  );
}

function ChartBody({ title, height, children }: { title: string; height: number; children: ReactNode }) {
  return (
    <div role="img" aria-label={`${title} chart; the numbers are in the data table below`}>
      <ResponsiveContainer width="100%" height={height}>
        {children as React.ReactElement}
      </ResponsiveContainer>
    </div>
  );
}

function DataTable<T extends Row>({
  id,
  title,
  data,
  columns,
  format,
}: {
  id: string;
  title: string;
  data: T[];
  columns: Column<T>[];
  format: (n: number) => string;
}) {
  return (
    <details className="mt-2 text-xs">
      <summary className="cursor-pointer text-muted hover:text-ink">Data</summary>
      <div {...scrollable()} className="mt-2 max-h-64 overflow-auto">
        <table className="w-full text-left" aria-label={`${title} data`} data-testid={`${id}-data`}>
          <thead className="text-muted">
            <tr>
              {columns.map((c) => (
                <th key={c.key} scope="col" className="py-1 pr-3 font-medium">
                  {c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.map((r, i) => (
              <tr key={i} className="border-t border-line">
                {columns.map((c) => (
                  <td key={c.key} className="py-1 pr-3 tabular-nums">
                    {typeof r[c.key] === 'number' ? format(r[c.key] as number) : (r[c.key] ?? '')}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
