import { canMove, columns, nextStatuses, statusName, type Workflow } from './workflow';
import { defaultWorkflow, patchStatus, workflowWithQA } from '../test/workflowFixture';

// The graph GET /v1/workflow answers (internal/issue/workflow.go).
const wf: Workflow = defaultWorkflow();

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
    const custom = workflowWithQA();
    expect(columns(custom).at(-1)).toBe('qa');
    expect(canMove(custom, 'open', 'qa')).toBe(true);
    expect(canMove(custom, 'qa', 'open')).toBe(false);
    expect(statusName(custom, 'qa')).toBe('Ready for QA');
    expect(statusName(undefined, 'in_progress')).toBe('In progress');
    const retiring = patchStatus(custom, 'in_review', { retiring: true });
    expect(canMove(custom, 'open', 'in_review')).toBe(true);
    expect(canMove(retiring, 'open', 'in_review')).toBe(false);
  });
});
