import { chunks, clickSelect, failures, mergeResults } from './bulk';

const ids = ['a', 'b', 'c', 'd', 'e'];

describe('list selection', () => {
  it('toggles one row on a plain click', () => {
    const s = clickSelect(new Set(), ids, 1, null, false);
    expect([...s]).toEqual(['b']);
    expect([...clickSelect(s, ids, 1, 1, false)]).toEqual([]);
  });

  it('selects the range from the anchor on a shift-click, in either direction', () => {
    const s = clickSelect(new Set(['b']), ids, 3, 1, true);
    expect([...s].sort()).toEqual(['b', 'c', 'd']);
    const up = clickSelect(new Set(['d']), ids, 0, 3, true);
    expect([...up].sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('clears the range when the anchor was unselected', () => {
    const s = clickSelect(new Set(['a', 'b', 'c', 'd']), ids, 3, 1, true);
    // the anchor b is selected, so the range stays selected...
    expect([...s].sort()).toEqual(['a', 'b', 'c', 'd']);
    // ...but after b was unticked, shift-clicking d unticks b..d
    const off = clickSelect(new Set(['a', 'c', 'd']), ids, 3, 1, true);
    expect([...off]).toEqual(['a']);
  });

  it('treats a shift-click without an anchor as a plain click', () => {
    expect([...clickSelect(new Set(), ids, 2, null, true)]).toEqual(['c']);
  });
});

describe('bulk requests', () => {
  it('splits 250 issues into requests of 100, 100 and 50', () => {
    const xs = Array.from({ length: 250 }, (_, i) => i);
    expect(chunks(xs).map((c) => c.length)).toEqual([100, 100, 50]);
    expect(chunks([])).toEqual([]);
  });

  it('merges results and lists the failures', () => {
    const r = mergeResults([
      { results: [{ ref: 'a', status: 200 }], succeeded: 1, failed: 0 },
      {
        results: [
          { ref: 'b', status: 412, code: 'version_mismatch' },
          { ref: 'c', status: 200 },
        ],
        succeeded: 1,
        failed: 1,
      },
    ]);
    expect(r.succeeded).toBe(2);
    expect(r.failed).toBe(1);
    expect(failures(r).map((f) => f.ref)).toEqual(['b']);
  });
});
