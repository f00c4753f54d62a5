import {
  burnUp,
  progress,
  sections,
  velocitySeries,
  type Cycle,
  type CycleReport,
  type Tally,
} from './cycles';

const cycle = (over: Partial<Cycle> = {}): Cycle => ({
  id: 'c1',
  name: 'Sprint 1',
  starts_on: '2026-11-23',
  ends_on: '2026-12-06',
  state: 'active',
  created_at: '2026-11-20T00:00:00Z',
  updated_at: '2026-11-20T00:00:00Z',
  version: 1,
  ...over,
});
const t = (issues: number, points: number, unestimated = 0): Tally => ({ issues, points, unestimated });
const report = (over: Partial<CycleReport> = {}): CycleReport => ({
  cycle: cycle(),
  committed: t(4, 10),
  added: t(2, 5),
  removed: t(1, 3),
  scope: t(5, 13),
  completed: t(2, 8),
  completion_rate: 8 / 13,
  daily: [
    { date: '2026-11-23', scope: t(4, 10), completed: t(0, 0) },
    { date: '2026-11-24', scope: t(5, 12), completed: t(1, 3) },
    { date: '2026-11-25', scope: t(4, 9), completed: t(1, 3) },
    { date: '2026-11-26', scope: t(5, 13), completed: t(2, 8) },
  ],
  ...over,
});

describe('cycle sections', () => {
  it('puts active cycles first, upcoming soonest first, past latest first', () => {
    const s = sections([
      cycle({ id: 'p1', name: 'Old', starts_on: '2026-10-01', ends_on: '2026-10-14', state: 'completed' }),
      cycle({ id: 'u2', name: 'Later', starts_on: '2027-01-01', ends_on: '2027-01-14', state: 'upcoming' }),
      cycle({ id: 'a', state: 'active' }),
      cycle({ id: 'p2', name: 'Recent', starts_on: '2026-11-01', ends_on: '2026-11-14', state: 'completed' }),
      cycle({ id: 'u1', name: 'Next', starts_on: '2026-12-07', ends_on: '2026-12-20', state: 'upcoming' }),
    ]);
    expect(s.current.map((c) => c.id)).toEqual(['a']);
    expect(s.upcoming.map((c) => c.id)).toEqual(['u1', 'u2']);
    expect(s.past.map((c) => c.id)).toEqual(['p2', 'p1']);
  });
});

describe('burn-up from the cycle report', () => {
  it("plots the report's daily series, then carries today's scope to the last day", () => {
    const b = burnUp(report(), '2026-11-26');
    expect(b.unit).toBe('points');
    expect(b.rows).toEqual([
      { day: '2026-11-23', scope: 10, completed: 0 },
      { day: '2026-11-24', scope: 12, completed: 3 },
      { day: '2026-11-25', scope: 9, completed: 3 },
      { day: '2026-11-26', scope: 13, completed: 8 },
      { day: '2026-12-06', scope: 13 },
    ]);
  });

  it('ends on the last day for a completed cycle', () => {
    const daily = Array.from({ length: 14 }, (_, i) => ({
      date: `2026-${i < 8 ? '11' : '12'}-${String(i < 8 ? 23 + i : i - 7).padStart(2, '0')}`,
      scope: t(5, 13),
      completed: t(i, i),
    }));
    const b = burnUp(report({ cycle: cycle({ state: 'completed' }), daily }), '2027-01-10');
    expect(b.rows).toHaveLength(14);
    expect(b.rows[0]).toEqual({ day: '2026-11-23', scope: 13, completed: 0 });
    expect(b.rows[13]).toEqual({ day: '2026-12-06', scope: 13, completed: 13 });
  });

  it("counts issues when nothing is estimated, and on the first day shows that day's figures once", () => {
    const r = report({
      committed: t(3, 0, 3),
      added: t(0, 0),
      removed: t(0, 0),
      scope: t(3, 0, 3),
      completed: t(1, 0, 1),
      completion_rate: 0,
      daily: [{ date: '2026-11-23', scope: t(3, 0, 3), completed: t(1, 0, 1) }],
    });
    const b = burnUp(r, '2026-11-23');
    expect(b.unit).toBe('issues');
    expect(b.rows).toEqual([
      { day: '2026-11-23', scope: 3, completed: 1 },
      { day: '2026-12-06', scope: 3 },
    ]);
  });

  it('shows an upcoming cycle as its planned scope at the start', () => {
    const r = report({
      cycle: cycle({ state: 'upcoming', starts_on: '2026-12-07', ends_on: '2026-12-20' }),
      daily: [],
    });
    expect(burnUp(r, '2026-11-30').rows).toEqual([{ day: '2026-12-07', scope: 13, completed: 0 }]);
  });

  it('gives the progress as completed over scope', () => {
    expect(progress(report())).toEqual({ unit: 'points', done: 8, total: 13, pct: 62 });
    expect(progress(report({ scope: t(0, 0), completed: t(0, 0) })).pct).toBe(0);
  });
});

describe('velocity per cycle', () => {
  it('lists the cycles oldest first with committed, scope and completed points, and the average', () => {
    const v = velocitySeries({
      cycles: [
        report({
          cycle: cycle({ id: 'b', name: 'Sprint 2', starts_on: '2026-11-09', ends_on: '2026-11-22' }),
          committed: t(3, 8),
          scope: t(4, 9),
          completed: t(4, 9),
        }),
        report({
          cycle: cycle({ id: 'a', name: 'Sprint 1', starts_on: '2026-10-26', ends_on: '2026-11-08' }),
          committed: t(2, 5),
          scope: t(2, 5),
          completed: t(1, 3),
        }),
      ],
      average_points: 6,
      average_issues: 2.5,
    });
    expect(v.unit).toBe('points');
    expect(v.average).toBe(6);
    expect(v.rows).toEqual([
      { cycle: 'Sprint 1', ends_on: '2026-11-08', committed: 5, scope: 5, completed: 3 },
      { cycle: 'Sprint 2', ends_on: '2026-11-22', committed: 8, scope: 9, completed: 9 },
    ]);
  });

  it('counts issues when no cycle has points', () => {
    const v = velocitySeries({
      cycles: [report({ committed: t(2, 0, 2), scope: t(3, 0, 3), completed: t(1, 0, 1) })],
      average_points: 0,
      average_issues: 1,
    });
    expect(v.unit).toBe('issues');
    expect(v.average).toBe(1);
    expect(v.rows[0]).toMatchObject({ committed: 2, scope: 3, completed: 1 });
  });
});
