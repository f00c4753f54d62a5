// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { setConfig } from '../../config';
import { testConfig } from '../../test/config';
import type { FieldDef } from '../../lib/fields';
import { defaultWorkflow } from '../../test/workflowFixture';
import { Ctx, type WorkspaceCtx } from './context';
import { CreateIssueDialog } from './CreateIssue';
import { keys, type Me, type Project } from './data';
import { projectKeys } from './projectData';

const project = (id: string, key: string, scale: string, points: number[]): Project => ({
  id,
  key,
  former_keys: [],
  name: key === 'ACME' ? 'Acme' : 'Web',
  description: '',
  archived: false,
  estimate_scale: scale,
  estimate_values: points.map((p) => ({ label: String(p), points: p })),
  created_at: '2026-11-30T00:00:00Z',
  updated_at: '2026-11-30T00:00:00Z',
  version: 1,
});
const field = (id: string, name: string, type: string, options?: string[]): FieldDef => ({
  id,
  project_id: 'P_WEB',
  name,
  type,
  options,
  created_at: '2026-11-30T00:00:00Z',
  updated_at: '2026-11-30T00:00:00Z',
  version: 1,
});

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });
let posted: unknown[] = [];
let idemKeys: (string | null)[] = [];
let answer: () => Response;
beforeAll(() => {
  setConfig(testConfig('http://api.test'));
  vi.stubGlobal('fetch', async (r: Request) => {
    if (r.method === 'POST') {
      posted.push(JSON.parse(await r.text()));
      idemKeys.push(r.headers.get('Idempotency-Key'));
    }
    return answer();
  });
});
beforeEach(() => {
  posted = [];
  idemKeys = [];
});

function open(url: string, defaults: { status?: string; project?: string } = {}) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  qc.setQueryData(keys.projects('acme'), [
    project('default', 'ACME', 'none', []),
    project('P_WEB', 'WEB', 'fibonacci', [1, 2, 3, 5]),
  ]);
  qc.setQueryData(keys.users('acme'), []);
  qc.setQueryData(keys.teams('acme'), []);
  qc.setQueryData(keys.labels('acme'), []);
  qc.setQueryData(projectKeys.fields('acme', 'default'), []);
  qc.setQueryData(projectKeys.fields('acme', 'P_WEB'), [
    field('F1', 'Browser', 'text'),
    field('F2', 'Severity score', 'number'),
    field('F3', 'Platform', 'select', ['Web', 'iOS']),
  ]);
  qc.setQueryData(projectKeys.workflow('acme', 'default'), defaultWorkflow());
  qc.setQueryData(projectKeys.workflow('acme', 'P_WEB'), defaultWorkflow());
  const me = { user: { id: 'u1', role: 'user' }, tenant: { name: 'Acme' } } as unknown as Me;
  const ctx: WorkspaceCtx = { slug: 'acme', me, openCreate: () => {}, openHelp: () => {} };
  render(
    <QueryClientProvider client={qc}>
      <Ctx.Provider value={ctx}>
        <MemoryRouter initialEntries={[url]}>
          <CreateIssueDialog open onOpenChange={() => {}} defaults={defaults} />
        </MemoryRouter>
      </Ctx.Provider>
    </QueryClientProvider>,
  );
}

describe('the create dialog', { timeout: 30_000 }, () => {
  it("files into the workspace's default project in an All projects list, without its absent scale or fields", () => {
    open('/w/acme/issues');
    expect(screen.getByRole('button', { name: 'Project: Acme (ACME)' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Estimate/ })).not.toBeInTheDocument();
    expect(screen.queryByText(/Fields of/)).not.toBeInTheDocument();
  });

  it("offers the page's project's scale and fields and puts the server's field error on its field", async () => {
    answer = () =>
      json(
        422,
        {
          type: 'about:blank',
          title: 'invalid',
          status: 422,
          code: 'invalid_field',
          detail: 'A field value is not valid.',
          errors: [{ field: 'fields.F2', reason: 'must be at most 10' }],
        },
        'application/problem+json',
      );
    open('/w/acme/issues?project=WEB');
    expect(screen.getByRole('button', { name: 'Project: Web (WEB)' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Estimate: No estimate' })).toBeInTheDocument();
    expect(screen.getByText('Fields of Web')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Platform: None' })).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Totals are off' } });
    fireEvent.change(screen.getByLabelText('Browser'), { target: { value: ' Firefox ' } });
    fireEvent.change(screen.getByLabelText('Severity score'), { target: { value: '12' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create issue' }));
    const err = await screen.findByText('Severity score: must be at most 10');
    expect(screen.getByLabelText('Severity score')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Severity score').getAttribute('aria-describedby')).toBe(err.id);
    await waitFor(() => expect(posted).toHaveLength(1));
    expect(posted[0]).toEqual({
      title: 'Totals are off',
      project_id: 'P_WEB',
      type: 'task',
      priority: 'none',
      fields: { F1: 'Firefox', F2: 12 },
    });
    // the draft stays as typed, and no banner repeats what the field says
    expect(screen.getByLabelText('Browser')).toHaveValue(' Firefox ');
    expect(screen.queryByText('A field value is not valid.')).not.toBeInTheDocument();

    // The corrected draft is a new request: a refusal created nothing, so it gets a key of its own
    // (the server refuses a key reused with another body).
    answer = () => json(201, { id: 'i9', key: 'WEB-9', status: 'open', version: 1 });
    fireEvent.change(screen.getByLabelText('Severity score'), { target: { value: '7' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create issue' }));
    await waitFor(() => expect(posted).toHaveLength(2));
    expect(posted[1]).toMatchObject({ fields: { F1: 'Firefox', F2: 7 } });
    expect(idemKeys[0]).toBeTruthy();
    expect(idemKeys[1]).toBeTruthy();
    expect(idemKeys[1]).not.toBe(idemKeys[0]);
  });

  it("prefers the caller's project (the board's column) over the page's", () => {
    open('/w/acme/board?project=ACME', { project: 'P_WEB', status: 'in_review' });
    expect(screen.getByRole('button', { name: 'Project: Web (WEB)' })).toBeInTheDocument();
  });
});
