// The brief's default workflow as GET /v1/projects/{id}/workflow (and GET /v1/workflow) answer it
// (internal/issue/workflow.go), shared by the tests of the workflow logic.
import type { components } from '../api/schema';

type Workflow = components['schemas']['Workflow'];
type WorkflowStatus = Workflow['statuses'][number];

export function defaultWorkflow(version = 0): Workflow {
  return {
    version,
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
  };
}

/** The default workflow with a custom "Ready for QA" (`qa`, started) that open may move to, and
 * which moves to closed. */
export function workflowWithQA(version = 0): Workflow {
  const wf = defaultWorkflow(version);
  const qa: WorkflowStatus = {
    status: 'qa',
    name: 'Ready for QA',
    category: 'started',
    order: 4,
    color: '#123456',
    next: ['closed'],
  };
  return {
    ...wf,
    statuses: [
      ...wf.statuses.map((s) => (s.status === 'open' ? { ...s, next: [...s.next, 'qa', 'in_review'] } : s)),
      qa,
    ],
  };
}

/** The workflow with `patch` applied to the status `status`. */
export function patchStatus(wf: Workflow, status: string, patch: Partial<WorkflowStatus>): Workflow {
  return { ...wf, statuses: wf.statuses.map((s) => (s.status === status ? { ...s, ...patch } : s)) };
}
