import type { components } from '../api/client';
import { DEFAULT_COLUMNS, emptyFilters, formatFilters, parseFilters } from './filters';
import { filtersFromView, groupIssues, viewInput, type View } from './views';

type Issue = components['schemas']['Issue'];

const view = (over: Partial<View>): View => ({
  id: 'v1',
  name: 'Mine',
  owner_id: 'u1',
  visibility: 'private',
  filter: {},
  sort: 'updated',
  group_by: 'none',
  columns: ['key', 'title'],
  created_at: '2026-11-30T00:00:00Z',
  updated_at: '2026-11-30T00:00:00Z',
  ...over,
});

describe('saved views <-> list filters', () => {
  it('saves the filters, sort, grouping and columns, not the search words', () => {
    const f = parseFilters(
      new URLSearchParams(
        'status=open&assignee=me&project=WEB&label=bug&sort=priority&order=asc&group=assignee&cols=key,title,status&q=login',
      ),
    );
    expect(viewInput(f)).toEqual({
      filter: { status: 'open', assignee: 'me', project: 'WEB', label: 'bug' },
      sort: 'priority',
      order: 'asc',
      group_by: 'assignee',
      columns: ['key', 'title', 'status'],
    });
  });

  it('opens a view as the same list (round trip through the URL)', () => {
    const f = {
      ...emptyFilters,
      status: ['open', 'in_review'],
      project: ['API'],
      due: 'overdue' as const,
      sort: 'due' as const,
      group: 'priority' as const,
    };
    const saved = view(viewInput(f) as Partial<View>);
    const back = filtersFromView(saved);
    expect(formatFilters(back).toString()).toBe(formatFilters(f).toString());
  });

  it('saves a relative due filter as its date', () => {
    const f = { ...emptyFilters, due: 'week' as const };
    expect(viewInput(f, new Date(2026, 10, 30)).filter).toEqual({ due_before: '2026-12-07' });
  });

  it('ignores what the list cannot show instead of failing', () => {
    const f = filtersFromView(
      view({
        filter: { status: 'open,Bo-gus!', created_after: 'x' },
        sort: 'chaos',
        group_by: 'moon',
        columns: ['key', 'nope'],
      }),
    );
    expect(f.status).toEqual(['open']);
    expect(f.sort).toBe('updated');
    expect(f.group).toBe('none');
    expect(f.columns).toEqual(['key']);
  });

  it('keeps the default columns out of the URL in any order', () => {
    const f = { ...emptyFilters, columns: [...DEFAULT_COLUMNS].reverse() };
    expect(formatFilters(f).toString()).toBe('');
  });
});

const issue = (id: string, over: Partial<Issue>): Issue => ({
  id,
  key: id,
  number: 1,
  project_id: 'p',
  title: id,
  description: '',
  type: 'task',
  priority: 'none',
  status: 'open',
  category: 'unstarted',
  labels: [],
  mentions: [],
  reporter_id: 'u1',
  created_at: '',
  updated_at: '',
  version: 1,
  ...over,
});

const names = {
  user: (id?: string) => (id ? `User ${id}` : 'Unassigned'),
  team: (id?: string) => (id ? `Team ${id}` : 'No team'),
  label: (id: string) => ({ l1: 'bug', l2: 'api' })[id] ?? id,
};

describe('grouping', () => {
  const issues = [
    issue('a', { status: 'closed', priority: 'low', assignee_id: 'zed' }),
    issue('b', { status: 'open', priority: 'urgent', labels: ['l1', 'l2'] }),
    issue('c', { status: 'in_progress', assignee_id: 'amy', labels: ['l2'] }),
    issue('d', { status: 'open', priority: 'urgent', assignee_id: 'amy' }),
  ];

  it('orders status and priority groups as the workflow does and keeps the list order inside', () => {
    const g = groupIssues(issues, 'status', names);
    expect(g.map((x) => [x.key, x.issues.map((i) => i.id)])).toEqual([
      ['open', ['b', 'd']],
      ['in_progress', ['c']],
      ['closed', ['a']],
    ]);
    expect(groupIssues(issues, 'priority', names).map((x) => x.key)).toEqual(['urgent', 'low', 'none']);
  });

  it("orders status groups by the listed projects' workflows, an unknown status last", () => {
    const mixed = [...issues, issue('e', { status: 'qa' }), issue('f', { status: 'zombie' })];
    const order = ['open', 'in_progress', 'qa', 'closed'];
    expect(groupIssues(mixed, 'status', { ...names, statusOrder: order }).map((x) => x.key)).toEqual([
      'open',
      'in_progress',
      'qa',
      'closed',
      'zombie',
    ]);
  });

  it('orders people and labels by name with the issues that have none last', () => {
    expect(groupIssues(issues, 'assignee', names).map((x) => x.label)).toEqual([
      'User amy',
      'User zed',
      'Unassigned',
    ]);
    expect(groupIssues(issues, 'label', names).map((x) => [x.label, x.issues.length])).toEqual([
      ['api', 1],
      ['bug', 1],
      ['No label', 2],
    ]);
  });

  it('is one group without grouping', () => {
    expect(groupIssues(issues, 'none', names)).toHaveLength(1);
  });
});
