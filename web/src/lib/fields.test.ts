import { checkDefinition, parseInput, parseOptions, toggleOption, valueText, type FieldDef } from './fields';

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
