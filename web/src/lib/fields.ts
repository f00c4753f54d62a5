// Custom fields of a project (GET /v1/projects/{id}/fields): their types,
// the options of a select typed in one box, and an issue's values as the
// issue page shows and sends them (PATCH fields: {id: value}, null clears).
// The server's rules (internal/issue/customfields.go Normalize) stay the
// judge: text a line, number finite, date YYYY-MM-DD, select one option,
// multi select some options, user a user id.
import type { components } from '../api/schema';

export type FieldDef = components['schemas']['FieldDef'];
export type FieldType = 'text' | 'number' | 'date' | 'select' | 'multi_select' | 'user';

export const FIELD_TYPES: { value: FieldType; label: string }[] = [
  { value: 'text', label: 'Text' },
  { value: 'number', label: 'Number' },
  { value: 'date', label: 'Date' },
  { value: 'select', label: 'Single select' },
  { value: 'multi_select', label: 'Multi select' },
  { value: 'user', label: 'Person' },
];

export function typeLabel(t: string): string {
  return FIELD_TYPES.find((x) => x.value === t)?.label ?? t;
}

export function hasOptions(t: string): boolean {
  return t === 'select' || t === 'multi_select';
}

/** Options typed one per line (or comma-separated): trimmed, empty ones and repeats (ignoring case) dropped. */
export function parseOptions(text: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(/[\n,]/)) {
    const o = raw.trim();
    const k = o.toLocaleLowerCase();
    if (!o || seen.has(k)) continue;
    seen.add(k);
    out.push(o);
  }
  return out;
}

/** What a definition form may send: a type's options only for selects; an update never drops options. */
export function checkDefinition(
  name: string,
  type: string,
  options: string[],
  before?: FieldDef,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!name.trim()) out.name = 'Give the field a name.';
  else if ([...name.trim()].length > 50) out.name = 'At most 50 characters.';
  if (hasOptions(type)) {
    if (options.length === 0) out.options = 'A select field needs at least one option.';
    else if (options.some((o) => o.toLocaleLowerCase() === 'none' || [...o].length > 50))
      out.options = 'Options are 1-50 characters and not "none".';
    const dropped = (before?.options ?? []).filter((o) => !options.includes(o));
    if (dropped.length) out.options = `${dropped.join(', ')} cannot be removed: issues may hold it.`;
  }
  return out;
}

/** An issue's value of a field as text ('' when it has none). */
export function valueText(f: FieldDef, v: unknown, userName: (id: string) => string): string {
  if (v === undefined || v === null || v === '') return '';
  if (f.type === 'multi_select') return Array.isArray(v) ? v.map(String).join(', ') : '';
  if (f.type === 'user') return userName(String(v));
  return String(v);
}

/**
 * The value to send for what was typed in a text, number or date input:
 * null clears, undefined means "not a valid value" (with the reason).
 */
export function parseInput(type: string, raw: string): { value: unknown; error?: string } {
  const s = raw.trim();
  if (s === '') return { value: null };
  if (type === 'number') {
    const n = Number(s);
    return Number.isFinite(n) ? { value: n } : { value: undefined, error: 'must be a number' };
  }
  if (type === 'date') {
    return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s))
      ? { value: s }
      : { value: undefined, error: 'must be a date YYYY-MM-DD' };
  }
  return [...s].length > 1000 ? { value: undefined, error: 'is longer than 1000 characters' } : { value: s };
}

/** A multi select value with one option toggled, in the field's option order. */
export function toggleOption(f: FieldDef, v: unknown, option: string): string[] | null {
  const cur = Array.isArray(v) ? v.map(String) : [];
  const next = cur.includes(option) ? cur.filter((x) => x !== option) : [...cur, option];
  const ordered = (f.options ?? []).filter((o) => next.includes(o));
  return ordered.length ? ordered : null;
}

/** The estimate choices of a project's scale ("No estimate" first); none when estimates are off. */
export function estimateOptions(p: {
  estimate_scale: string;
  estimate_values: { label: string; points: number }[];
}): { value: string; label: string }[] {
  if (p.estimate_scale === 'none' || p.estimate_values.length === 0) return [];
  return [
    { value: '', label: 'No estimate' },
    ...p.estimate_values.map((v) => ({
      value: String(v.points),
      label: v.label === String(v.points) ? `${v.points} points` : `${v.label} (${v.points} points)`,
    })),
  ];
}

/** The project a new issue goes to: the one the caller names (the board's column), else the one the
 * page shows (`?project=`), else the workspace's default project, else the first active one. An
 * archived project takes no new issue. */
export function createProject<
  P extends { id: string; key: string; former_keys: string[]; archived: boolean },
>(projects: P[] | undefined, explicit?: string, fromPage?: string | null): P | undefined {
  const live = (projects ?? []).filter((p) => !p.archived);
  const find = (ref: string) => {
    const r = ref.toUpperCase();
    return live.find((p) => p.id === ref || p.key === r || p.former_keys.includes(r));
  };
  return (
    (explicit && find(explicit)) ||
    (fromPage && find(fromPage)) ||
    live.find((p) => p.id === 'default') ||
    live[0]
  );
}

/** The `fields` of a create request: the values set for fields the chosen project defines (a value
 * typed for another project's field before switching is not sent), empty ones left out. */
export function createFieldValues(
  fields: FieldDef[],
  values: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.id];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[f.id] = v;
  }
  return Object.keys(out).length ? out : undefined;
}
