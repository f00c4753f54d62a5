import { canMove, columns, nextStatuses, type Workflow } from './workflow';

// The graph GET /v1/workflow answers (internal/issue/workflow.go).
const wf: Workflow = {
  statuses: [
    { status: 'open', category: 'unstarted', next: ['in_progress', 'closed'] },
    { status: 'in_progress', category: 'started', next: ['open', 'in_review', 'closed'] },
    { status: 'in_review', category: 'started', next: ['in_progress', 'closed'] },
    { status: 'closed', category: 'completed', next: ['open'] },
  ],
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
  });
});
