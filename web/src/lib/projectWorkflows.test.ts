import { bulkStatusChoices, statusUnion, issueStatusProps, type Workflow } from './workflow';
import { defaultWorkflow, patchStatus, workflowWithQA } from '../test/workflowFixture';

// Two projects: WEB has the default workflow, API a custom "Ready for QA" and its In Review being deleted.
const web = defaultWorkflow();
const api = patchStatus(workflowWithQA(2), 'in_review', { retiring: true });
const wfs: Record<string, Workflow> = { P_WEB: web, P_API: api };
const wfOf = (id: string) => wfs[id];
const keyOf = (id: string) => ({ P_WEB: 'WEB', P_API: 'API' })[id] ?? '';

describe('statuses across projects', () => {
  it('lists each status of the projects once, by category then workflow order', () => {
    expect(statusUnion([web, api]).map((s) => s.status)).toEqual([
      'open',
      'in_progress',
      'in_review',
      'qa',
      'closed',
    ]);
    expect(statusUnion([undefined]).map((s) => s.status)).toEqual([]);
  });

  it("draws an issue's status from its own project's workflow", () => {
    expect(issueStatusProps(wfOf, { project_id: 'P_API', status: 'qa' })).toMatchObject({
      name: 'Ready for QA',
      category: 'started',
      color: '#123456',
    });
    // a status of another project's workflow is not borrowed: the icon falls back to its id
    expect(issueStatusProps(wfOf, { project_id: 'P_WEB', status: 'qa' })).toMatchObject({
      name: 'qa',
      category: undefined,
    });
  });
});

describe('bulk status choices', () => {
  const sel = [
    { key: 'WEB-1', project_id: 'P_WEB' },
    { key: 'API-1', project_id: 'P_API' },
    { key: 'API-2', project_id: 'P_API' },
  ];

  it('offers only the statuses every selected project may take, and says per issue why not', () => {
    const c = bulkStatusChoices(sel, wfOf, keyOf);
    expect(c.ready).toBe(true);
    expect(c.common.map((s) => s.status)).toEqual(['open', 'in_progress', 'closed']);
    expect(c.refused).toEqual([
      {
        status: expect.objectContaining({ status: 'in_review' }),
        issues: [
          { key: 'API-1', reason: 'In Review is being deleted in API' },
          { key: 'API-2', reason: 'In Review is being deleted in API' },
        ],
      },
      {
        status: expect.objectContaining({ status: 'qa' }),
        issues: [{ key: 'WEB-1', reason: 'WEB has no Ready for QA status' }],
      },
    ]);
  });

  it("offers a project's own statuses when the selection is in one project", () => {
    const c = bulkStatusChoices(sel.slice(1), wfOf, keyOf);
    expect(c.common.map((s) => s.status)).toEqual(['open', 'in_progress', 'qa', 'closed']);
    expect(c.refused.map((r) => r.status.status)).toEqual(['in_review']);
  });

  it('offers nothing until every workflow is loaded', () => {
    const c = bulkStatusChoices([...sel, { key: 'OPS-1', project_id: 'P_OPS' }], wfOf, keyOf);
    expect(c).toEqual({ ready: false, common: [], refused: [] });
  });
});
