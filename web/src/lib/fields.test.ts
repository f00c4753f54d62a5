import {
  checkDefinition,
  createFieldValues,
  createProject,
  estimateOptions,
  parseInput,
  parseOptions,
  toggleOption,
  valueText,
  type FieldDef,
} from './fields';

const def = (type: string, options?: string[]): FieldDef => ({
  id: 'F1',
  project_id: 'P1',
  name: 'Field',
  type,
  options,
  created_at: '2026-11-30T00:00:00Z',
  updated_at: '2026-11-30T00:00:00Z',
  version: 1,
});

describe('custom field definitions', () => {
  it('reads options one per line or comma-separated, without blanks or repeats', () => {
    expect(parseOptions(' Web \n\nMobile, web\nAPI ,')).toEqual(['Web', 'Mobile', 'API']);
  });

  it('asks selects for options and keeps the options an update may not drop', () => {
    expect(checkDefinition('', 'text', [])).toHaveProperty('name');
    expect(checkDefinition('Platform', 'select', [])).toHaveProperty('options');
    expect(checkDefinition('Platform', 'select', ['none'])).toHaveProperty('options');
    expect(checkDefinition('Platform', 'select', ['Web'])).toEqual({});
    expect(
      checkDefinition('Platform', 'multi_select', ['Web'], def('multi_select', ['Web', 'iOS'])).options,
    ).toMatch(/iOS cannot be removed/);
    expect(
      checkDefinition('Platform', 'select', ['Web', 'iOS', 'Android'], def('select', ['Web', 'iOS'])),
    ).toEqual({});
  });
});

describe('custom field values', () => {
  it('parses typed input per type; blank clears', () => {
    expect(parseInput('number', ' 4.5 ')).toEqual({ value: 4.5 });
    expect(parseInput('number', 'four').error).toMatch(/number/);
    expect(parseInput('number', '')).toEqual({ value: null });
    expect(parseInput('date', '2026-12-01')).toEqual({ value: '2026-12-01' });
    expect(parseInput('date', '01/12/2026').error).toMatch(/YYYY-MM-DD/);
    expect(parseInput('text', '  hello ')).toEqual({ value: 'hello' });
    expect(parseInput('text', 'x'.repeat(1001)).error).toMatch(/1000/);
  });

  it('shows values as text, users by name', () => {
    const name = (id: string) => (id === 'U1' ? 'Ada' : 'Former member');
    expect(valueText(def('user'), 'U1', name)).toBe('Ada');
    expect(valueText(def('multi_select', ['a', 'b']), ['a', 'b'], name)).toBe('a, b');
    expect(valueText(def('number'), 0, name)).toBe('0');
    expect(valueText(def('text'), null, name)).toBe('');
    expect(valueText(def('text'), undefined, name)).toBe('');
  });

  it('toggles a multi select option in option order; none left clears', () => {
    const f = def('multi_select', ['Web', 'iOS', 'Android']);
    expect(toggleOption(f, ['Android'], 'Web')).toEqual(['Web', 'Android']);
    expect(toggleOption(f, ['Web', 'Android'], 'Android')).toEqual(['Web']);
    expect(toggleOption(f, ['Web'], 'Web')).toBeNull();
    expect(toggleOption(f, undefined, 'iOS')).toEqual(['iOS']);
  });
});

describe('the create dialog', () => {
  const p = (id: string, key: string, extra: { archived?: boolean; former_keys?: string[] } = {}) => ({
    id,
    key,
    former_keys: extra.former_keys ?? [],
    archived: extra.archived ?? false,
  });
  const projects = [
    p('default', 'ACME'),
    p('P2', 'WEB', { former_keys: ['SITE'] }),
    p('P3', 'OLD', { archived: true }),
  ];

  it("files into the named project, else the page's, else the default one; never an archived one", () => {
    expect(createProject(projects, 'P2')?.key).toBe('WEB');
    expect(createProject(projects, undefined, 'site')?.key).toBe('WEB');
    expect(createProject(projects, undefined, null)?.key).toBe('ACME');
    expect(createProject(projects, 'P3', 'OLD')?.key).toBe('ACME');
    expect(createProject([p('P2', 'WEB'), p('default', 'ACME', { archived: true })])?.key).toBe('WEB');
    expect(createProject(undefined)).toBeUndefined();
  });

  it("offers the project's estimate scale, nothing when estimates are off", () => {
    const fib = {
      estimate_scale: 'fibonacci',
      estimate_values: [1, 2, 3].map((n) => ({ label: String(n), points: n })),
    };
    expect(estimateOptions(fib).map((o) => o.label)).toEqual([
      'No estimate',
      '1 points',
      '2 points',
      '3 points',
    ]);
    const shirts = { estimate_scale: 'tshirt', estimate_values: [{ label: 'S', points: 1 }] };
    expect(estimateOptions(shirts)).toEqual([
      { value: '', label: 'No estimate' },
      { value: '1', label: 'S (1 points)' },
    ]);
    expect(estimateOptions({ estimate_scale: 'none', estimate_values: [] })).toEqual([]);
  });

  it("sends only the chosen project's fields that have a value", () => {
    const fields = [def('text'), { ...def('multi_select', ['a']), id: 'F2' }, { ...def('number'), id: 'F3' }];
    expect(createFieldValues(fields, { F1: 'x', F2: [], F3: 0, OTHER: 'typed before switching' })).toEqual({
      F1: 'x',
      F3: 0,
    });
    expect(createFieldValues(fields, { F1: '', F3: null })).toBeUndefined();
  });
});
