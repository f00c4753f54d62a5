import { toCSV } from './csv';

describe('toCSV', () => {
  it('writes a header and one line per row, CRLF-terminated', () => {
    const csv = toCSV(
      [
        { day: '2026-11-01', created: 3 },
        { day: '2026-11-02', created: 0 },
      ],
      [
        { key: 'day', label: 'Day' },
        { key: 'created', label: 'Created' },
      ],
    );
    expect(csv).toBe('Day,Created\r\n2026-11-01,3\r\n2026-11-02,0\r\n');
  });

  it('quotes commas, quotes and newlines, and defuses spreadsheet formulas', () => {
    const csv = toCSV(
      [{ name: 'Acme, "Inc"', note: 'a\nb', f: '=HYPERLINK("x")', n: -4 }],
      [
        { key: 'name', label: 'Name' },
        { key: 'note', label: 'Note' },
        { key: 'f', label: 'F' },
        { key: 'n', label: 'N' },
      ],
    );
    expect(csv.split('\r\n')[1]).toBe('"Acme, ""Inc""","a\nb","\'=HYPERLINK(""x"")",-4');
  });

  it.each([
    [' =1+1', "' =1+1"],
    ['\uff1d1+1', "'\uff1d1+1"],
    ['\u3000\uff20x', "'\u3000\uff20x"],
    ['\t=1', "'\t=1"],
    ['a=b', 'a=b'],
    ['-0.5', '-0.5'],
  ])('defuses %j as the API does', (v, want) => {
    expect(toCSV([{ v }], [{ key: 'v', label: 'V' }]).split('\r\n')[1]).toBe(want);
  });
});
