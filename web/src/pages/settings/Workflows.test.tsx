// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { setConfig } from '../../config';
import { testConfig } from '../../test/config';
import type { Workflow } from '../../lib/workflowEdit';
import { Ctx, type WorkspaceCtx } from '../workspace/context';
import { keys, type Me, type Project } from '../workspace/data';
import Workflows from './Workflows';

const web: Project = {
  id: 'P1',
  key: 'WEB',
  former_keys: [],
  name: 'Web',
  description: '',
  archived: false,
  estimate_scale: 'fibonacci',
  estimate_values: [],
  created_at: '2026-11-30T00:00:00Z',
  updated_at: '2026-11-30T00:00:00Z',
  version: 1,
};
const stored: Workflow = {
  project_id: 'P1',
  version: 4,
  statuses: [
    { status: 'todo', name: 'Todo', category: 'unstarted', order: 0, color: '#8a8f98', next: ['doing'] },
    {
      status: 'doing',
      name: 'Doing',
      category: 'started',
      order: 1,
      color: '#f2c94c',
      next: ['todo', 'done'],
    },
    { status: 'qa', name: 'QA', category: 'started', order: 2, color: '#5e6ad2', next: ['done'] },
    { status: 'done', name: 'Done', category: 'completed', order: 3, color: '#4cb782', next: ['todo'] },
  ],
};

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });
const problem = (
  status: number,
  code: string,
  detail: string,
  errors?: { field: string; reason: string }[],
) =>
  json(
    status,
    { type: 'about:blank', title: code, status, code, detail, errors },
    'application/problem+json',
  );

interface Call {
  method: string;
  path: string;
  ifMatch: string | null;
  body: unknown;
}
let calls: Call[] = [];
let answer: (c: Call) => Response;
beforeAll(() => {
  setConfig(testConfig('http://api.test'));
  vi.stubGlobal('fetch', async (r: Request) => {
    const text = await r.text();
    const c = {
      method: r.method,
      path: new URL(r.url).pathname,
      ifMatch: r.headers.get('If-Match'),
      body: text ? JSON.parse(text) : undefined,
    };
    calls.push(c);
    return answer(c);
  });
});
beforeEach(() => {
  calls = [];
});

function renderPage(role = 'admin') {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  qc.setQueryData(keys.projects('acme'), [web]);
  const me = { user: { id: 'u1', role }, tenant: { name: 'Acme' } } as unknown as Me;
  const ctx: WorkspaceCtx = { slug: 'acme', me, openCreate: () => {}, openHelp: () => {} };
  render(
    <QueryClientProvider client={qc}>
      <Ctx.Provider value={ctx}>
        <MemoryRouter initialEntries={['/w/acme/settings/workflows?project=WEB']}>
          <Workflows />
        </MemoryRouter>
      </Ctx.Provider>
    </QueryClientProvider>,
  );
}

describe('the workflow settings', { timeout: 30_000 }, () => {
  it('saves the draft whole with If-Match and puts the server’s field errors on the row', async () => {
    answer = (c) =>
      c.method === 'GET'
        ? json(200, stored)
        : problem(422, 'invalid_workflow', 'The workflow is not valid.', [
            { field: 'statuses[4].name', reason: 'must be 1-40 characters of text' },
          ]);
    renderPage();
    expect(await screen.findAllByTestId('status-row')).toHaveLength(4);
    fireEvent.change(screen.getByLabelText('New status'), { target: { value: 'Blocked' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add status' }));
    fireEvent.click(screen.getByRole('button', { name: 'Move Blocked up' }));
    fireEvent.click(screen.getByRole('button', { name: 'Save workflow' }));
    await screen.findByText('The workflow is not valid.');
    const put = calls.find((c) => c.method === 'PUT')!;
    expect(put.path).toBe('/v1/projects/P1/workflow');
    expect(put.ifMatch).toBe('"4"');
    const sent = (put.body as { statuses: { status: string; next: string[] }[] }).statuses;
    expect(sent.map((s) => s.status)).toEqual(['todo', 'doing', 'qa', 'blocked', 'done']);
    expect(sent[3]!.next).toEqual(['todo', 'doing', 'qa', 'done']);
    expect(sent[0]!.next).toEqual(['doing', 'blocked']);
    const rows = screen.getAllByTestId('status-row');
    // statuses[4] as the server numbers the draft it got: Done, the fifth.
    expect(within(rows[4]!).getByRole('alert')).toHaveTextContent('must be 1-40 characters');
  });

  it('checks the draft before sending: a workflow without a completed status is not sent', async () => {
    answer = () => json(200, stored);
    renderPage();
    await screen.findAllByTestId('status-row');
    fireEvent.change(screen.getByLabelText('Category of Done'), { target: { value: 'canceled' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save workflow' }));
    expect(await screen.findByText(/needs at least one completed status/)).toBeInTheDocument();
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);
  });

  it('offers their version after a 412', async () => {
    answer = (c) =>
      c.method === 'GET' ? json(200, stored) : problem(412, 'version_mismatch', 'the workflow changed');
    renderPage();
    await screen.findAllByTestId('status-row');
    fireEvent.change(screen.getByLabelText('Name of qa'), { target: { value: 'Review' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save workflow' }));
    expect(await screen.findByText(/Someone changed this workflow/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Load their version' })).toBeInTheDocument();
  });

  it('deletes a status in use by calling the job until it is done, showing the count moved', async () => {
    let runs = 0;
    answer = (c) => {
      if (c.method === 'GET') return json(200, stored);
      runs++;
      const base = { project_id: 'P1', status: 'qa', move_to: 'doing', started_at: '2026-11-30T00:00:00Z' };
      return runs < 3
        ? json(200, { ...base, state: 'running', moved: runs * 100 })
        : json(200, { ...base, state: 'done', moved: 240 });
    };
    renderPage();
    await screen.findAllByTestId('status-row');
    fireEvent.click(screen.getByRole('button', { name: 'Delete QA' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete QA' });
    // The same category is proposed first; retiring statuses are never offered.
    expect(within(dialog).getByLabelText('Move its issues to')).toHaveValue('doing');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete QA' }));
    expect(await within(dialog).findByText('Done: 240 issues moved; QA is deleted.')).toBeInTheDocument();
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(3);
    expect(posts.every((p) => JSON.stringify(p.body) === '{"status":"qa","move_to":"doing"}')).toBe(true);
    await waitFor(() => expect(calls.filter((c) => c.method === 'GET').length).toBeGreaterThan(1));
  });

  it('shows the refusal of a deletion from the problem', async () => {
    answer = (c) =>
      c.method === 'GET'
        ? json(200, stored)
        : problem(422, 'workflow_incomplete', 'without done the workflow is incomplete', [
            { field: 'status', reason: 'the workflow needs it' },
          ]);
    renderPage();
    await screen.findAllByTestId('status-row');
    fireEvent.click(screen.getByRole('button', { name: 'Delete Done' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete Done' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete Done' }));
    expect(await within(dialog).findByText('without done the workflow is incomplete')).toBeInTheDocument();
    expect(within(dialog).getByText('the workflow needs it')).toBeInTheDocument();
  });
});
