import { applyPatch, changedFields, conflict, type Issue } from './conflict';

const base: Issue = {
  id: 'i1',
  key: 'ACME-1',
  project_id: 'default',
  number: 1,
  title: 'Crash on save',
  description: '',
  type: 'bug',
  priority: 'low',
  status: 'open',
  category: 'unstarted',
  labels: ['a'],
  mentions: [],
  reporter_id: 'u1',
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  version: 3,
};

describe('412 conflicts', () => {
  it('tells what the other person changed', () => {
    const latest = { ...base, priority: 'urgent' as const, labels: ['a', 'b'], version: 4 };
    expect(changedFields(base, latest)).toEqual(['priority', 'labels']);
  });

  it('label order is not a change', () => {
    expect(changedFields({ ...base, labels: ['a', 'b'] }, { ...base, labels: ['b', 'a'] })).toEqual([]);
  });

  it('a change to another field does not clash: it can be reapplied as is', () => {
    const latest = { ...base, title: 'Crash on save (Safari)', version: 4 };
    const c = conflict(base, latest, { priority: 'high' });
    expect(c).toEqual({ theirs: ['title'], clashes: [], alreadyApplied: false });
  });

  it('the same field changed to another value clashes', () => {
    const latest = { ...base, priority: 'urgent' as const, version: 4 };
    expect(conflict(base, latest, { priority: 'high' }).clashes).toEqual(['priority']);
  });

  it('the same change made by both is already applied', () => {
    const latest = { ...base, priority: 'high' as const, version: 4 };
    expect(conflict(base, latest, { priority: 'high' })).toMatchObject({ clashes: [], alreadyApplied: true });
  });

  it('the optimistic view applies a merge patch; null clears', () => {
    const i = applyPatch({ ...base, assignee_id: 'u2' }, { assignee_id: null, team_id: 't1', title: 'New' });
    expect(i.assignee_id).toBeUndefined();
    expect(i.team_id).toBe('t1');
    expect(i.title).toBe('New');
    expect(i.version).toBe(3);
  });
});
