import { canMove, columns, nextStatuses, statusName, type Workflow } from './workflow';

// The graph GET /v1/workflow answers (internal/issue/workflow.go).
const wf: Workflow = {
  statuses: [
    {
      status: 'open',
      name: 'Open',
      category: 'unstarted',
      order: 0,
      color: '#8a8f98',
      next: ['in_progress', 'closed'],
    },
    {
      status: 'in_progress',
      name: 'In Progress',
      category: 'started',
      order: 1,
      color: '#f2c94c',
      next: ['open', 'in_review', 'closed'],
    },
    {
      status: 'in_review',
      name: 'In Review',
      category: 'started',
      order: 2,
      color: '#5e6ad2',
      next: ['in_progress', 'closed'],
    },
    { status: 'closed', name: 'Closed', category: 'completed', order: 3, color: '#4cb782', next: ['open'] },
  ],
  version: 0,
};

describe('board transitions', () => {
  it.each([
    ['open', 'in_progress', true],
    ['open', 'closed', true],
    ['open', 'in_review', false],
    ['in_review', 'open', false],
    ['closed', 'open', true],
    ['closed', 'in_progress', false],
    ['in_progress', 'in_progress', false],
  ])('%s -> %s allowed: %s', (from, to, ok) => {
    expect(canMove(wf, from, to)).toBe(ok);
  });

  it('nothing is droppable before the workflow is known', () => {
    expect(canMove(undefined, 'open', 'closed')).toBe(false);
    expect(nextStatuses(undefined, 'open')).toEqual([]);
  });

  it('columns follow the workflow order', () => {
    expect(columns(wf)).toEqual(['open', 'in_progress', 'in_review', 'closed']);
    const shuffled = { ...wf, statuses: [...wf.statuses].reverse() };
    expect(columns(shuffled)).toEqual(['open', 'in_progress', 'in_review', 'closed']);
  });

  it('a custom status is a column by its name, and one being deleted takes no card', () => {
    const custom: Workflow = {
      ...wf,
      statuses: [
        ...wf.statuses.map((s) => (s.status === 'open' ? { ...s, next: [...s.next, 'qa', 'in_review'] } : s)),
        {
          status: 'qa',
          name: 'Ready for QA',
          category: 'started',
          order: 4,
          color: '#123456',
          next: ['closed'],
        },
      ],
    };
    expect(columns(custom).at(-1)).toBe('qa');
    expect(canMove(custom, 'open', 'qa')).toBe(true);
    expect(canMove(custom, 'qa', 'open')).toBe(false);
    expect(statusName(custom, 'qa')).toBe('Ready for QA');
    expect(statusName(undefined, 'in_progress')).toBe('In progress');
    const retiring = {
      ...custom,
      statuses: custom.statuses.map((s) => (s.status === 'in_review' ? { ...s, retiring: true } : s)),
    };
    expect(canMove(custom, 'open', 'in_review')).toBe(true);
    expect(canMove(retiring, 'open', 'in_review')).toBe(false);
  });
});
