import {
  addStatus,
  isDirty,
  mapTargets,
  moveStatus,
  removeStatus,
  rowErrors,
  statusId,
  toDraft,
  toggleTransition,
  validateDraft,
  type Workflow,
} from './workflowEdit';
import { defaultWorkflow, patchStatus } from '../test/workflowFixture';

// The default workflow with its orders shuffled on purpose (closed listed first) and in_review being
// deleted.
const shared = patchStatus(defaultWorkflow(3), 'in_review', { retiring: true });
const wf: Workflow = {
  ...shared,
  statuses: [shared.statuses.at(-1)!, ...shared.statuses.slice(0, -1)],
};

describe('workflow draft', () => {
  it('lists statuses in board order and is clean until edited', () => {
    const d = toDraft(wf);
    expect(d.map((s) => s.status)).toEqual(['open', 'in_progress', 'in_review', 'closed']);
    expect(isDirty(wf, d)).toBe(false);
    expect(isDirty(wf, moveStatus(d, 'closed', -1))).toBe(true);
  });

  it('derives unique, well-formed ids from names', () => {
    expect(statusId('Ready for QA', [])).toBe('ready_for_qa');
    expect(statusId('Ready for QA', ['ready_for_qa'])).toBe('ready_for_qa_2');
    expect(statusId('Ready for QA', ['ready_for_qa', 'ready_for_qa_2'])).toBe('ready_for_qa_3');
    expect(statusId('Révision', [])).toBe('revision');
    expect(statusId('2nd look', [])).toBe('s_2nd_look');
    expect(statusId('!!!', [])).toBe('s');
    expect(statusId('x'.repeat(60), []).length).toBeLessThanOrEqual(32);
  });

  it('adds a status at the end, reachable from and leading to every other', () => {
    const d = addStatus(toDraft(wf), 'Ready for QA', 'started');
    const qa = d.at(-1)!;
    expect(qa).toMatchObject({
      status: 'ready_for_qa',
      name: 'Ready for QA',
      category: 'started',
      color: '#f2c94c',
    });
    expect(qa.next).toEqual(['open', 'in_progress', 'in_review', 'closed']);
    expect(d.every((s) => s === qa || s.next.includes('ready_for_qa'))).toBe(true);
    expect(validateDraft(d)).toEqual({});
  });

  it('moves a status within bounds only', () => {
    const d = toDraft(wf);
    expect(moveStatus(d, 'open', -1)).toBe(d);
    expect(moveStatus(d, 'closed', 1)).toBe(d);
    expect(moveStatus(d, 'in_review', -1).map((s) => s.status)).toEqual([
      'open',
      'in_review',
      'in_progress',
      'closed',
    ]);
  });

  it('toggles a transition, keeping next in board order, never to itself', () => {
    const d = toDraft(wf);
    const off = toggleTransition(d, 'open', 'in_progress');
    expect(off.find((s) => s.status === 'open')!.next).toEqual(['closed']);
    const on = toggleTransition(off, 'open', 'in_review');
    expect(on.find((s) => s.status === 'open')!.next).toEqual(['in_review', 'closed']);
    expect(toggleTransition(d, 'open', 'open')).toBe(d);
  });

  it('removes a status with every transition into it', () => {
    const d = removeStatus(toDraft(wf), 'in_review');
    expect(d.map((s) => s.status)).toEqual(['open', 'in_progress', 'closed']);
    expect(d.flatMap((s) => s.next)).not.toContain('in_review');
  });

  it('checks the draft as the server does, naming fields the server way', () => {
    let d = toDraft(wf);
    d = d.map((s) => (s.status === 'in_review' ? { ...s, name: ' in progress ' } : s));
    d = d.map((s) => (s.status === 'closed' ? { ...s, category: 'canceled' as const, color: 'green' } : s));
    d = [...d, { status: 'Bad Id', name: '', category: 'started', color: '#000000', next: ['nowhere'] }];
    const e = validateDraft(d);
    expect(e['statuses[2].name']).toMatch(/another status/);
    expect(e['statuses[3].color']).toMatch(/#rrggbb/);
    expect(e['statuses[4].status']).toBeDefined();
    expect(e['statuses[4].name']).toBeDefined();
    expect(e['statuses[4].next[0]']).toBeDefined();
    expect(e.statuses).toMatch(/completed/);
    expect(rowErrors(e, 4)).toEqual({
      status: expect.any(String),
      name: expect.any(String),
      next: expect.any(String),
    });
    expect(validateDraft([])).toHaveProperty('statuses');
  });

  it('maps a deleted status only onto statuses no deletion retires', () => {
    expect(mapTargets(wf, 'open').map((s) => s.status)).toEqual(['closed', 'in_progress']);
    expect(mapTargets(undefined, 'open')).toEqual([]);
  });
});
