// Chart data as CSV (RFC 4180): every chart offers its numbers for download.
export interface Column<T> {
  key: keyof T & string;
  label: string;
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  // A formula to a spreadsheet: =, +, - or @ (or their full-width forms)
  // after any leading whitespace, or a leading tab or CR. The same rule as
  // the API's CSV exports (internal/text.SpreadsheetSafe).
  const formula = /^[\t\r]|^[\s\u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]/.test(s);
  const safe = formula && !/^-?\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCSV<T>(rows: T[], columns: Column<T>[]): string {
  const head = columns.map((c) => cell(c.label)).join(',');
  const body = rows.map((r) => columns.map((c) => cell(r[c.key])).join(','));
  return [head, ...body].join('\r\n') + '\r\n';
}
