// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { setConfig } from '../../config';
import { testConfig } from '../../test/config';
import type { FieldDef } from '../../lib/fields';
import { Ctx, type WorkspaceCtx } from '../workspace/context';
import { keys, type Me, type Project } from '../workspace/data';
import { projectKeys } from '../workspace/projectData';
import Fields from './Fields';

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
const field = (id: string, name: string): FieldDef => ({
  id,
  project_id: 'P1',
  name,
  type: 'text',
  created_at: '2026-11-30T00:00:00Z',
  updated_at: '2026-11-30T00:00:00Z',
  version: 3,
});

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': type },
  });
const problem = (status: number, code: string, detail: string) =>
  json(status, { type: 'about:blank', title: code, status, code, detail }, 'application/problem+json');

let calls: { method: string; path: string; ifMatch: string | null }[] = [];
let fields: FieldDef[] = [];
let onDelete: () => Response;
beforeAll(() => {
  setConfig(testConfig('http://api.test'));
  vi.stubGlobal('fetch', async (r: Request) => {
    const c = { method: r.method, path: new URL(r.url).pathname, ifMatch: r.headers.get('If-Match') };
    calls.push(c);
    if (r.method === 'DELETE') return onDelete();
    return json(200, { items: fields });
  });
});
beforeEach(() => {
  calls = [];
  fields = [field('F1', 'Browser'), field('F2', 'Severity')];
});

function renderPage(role = 'admin') {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  qc.setQueryData(keys.projects('acme'), [web]);
  qc.setQueryData(projectKeys.fields('acme', 'P1'), fields);
  const me = { user: { id: 'u1', role }, tenant: { name: 'Acme' } } as unknown as Me;
  const ctx: WorkspaceCtx = { slug: 'acme', me, openCreate: () => {}, openHelp: () => {} };
  render(
    <QueryClientProvider client={qc}>
      <Ctx.Provider value={ctx}>
        <MemoryRouter initialEntries={['/w/acme/settings/fields?project=WEB']}>
          <Fields />
        </MemoryRouter>
      </Ctx.Provider>
    </QueryClientProvider>,
  );
}

describe('deleting a custom field', { timeout: 30_000 }, () => {
  it('says the values stay but are ignored, deletes on confirmation and reloads the list', async () => {
    onDelete = () => {
      fields = fields.filter((f) => f.id !== 'F1');
      return json(204, null);
    };
    renderPage();
    fireEvent.click(screen.getByRole('button', { name: 'Delete Browser' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete Browser?' });
    expect(dialog).toHaveTextContent(/keep the values they hold, but they are ignored/);
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(0); // nothing before confirming
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete field' }));
    expect(await screen.findByText(/Browser is deleted/)).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'DELETE')).toEqual({
      method: 'DELETE',
      path: '/v1/projects/P1/fields/F1',
      ifMatch: '"3"',
    });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(await screen.findAllByTestId('field-row')).toHaveLength(1);
  });

  it('treats a field already gone (404) as deleted and says so', async () => {
    onDelete = () => {
      fields = fields.filter((f) => f.id !== 'F2');
      return problem(404, 'not_found', 'No such field.');
    };
    renderPage();
    fireEvent.click(screen.getByRole('button', { name: 'Delete Severity' }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Delete field' }));
    expect(await screen.findByText(/Severity was already deleted/)).toBeInTheDocument();
    expect(await screen.findAllByTestId('field-row')).toHaveLength(1);
  });

  it('keeps the dialog open with the reason on another refusal', async () => {
    onDelete = () => problem(403, 'forbidden', 'Only Admins delete fields.');
    renderPage();
    fireEvent.click(screen.getByRole('button', { name: 'Delete Severity' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete field' }));
    expect(await within(dialog).findByText('Only Admins delete fields.')).toBeInTheDocument();
  });

  it('offers no delete to a User', () => {
    renderPage('user');
    expect(screen.queryByRole('button', { name: /^Delete/ })).not.toBeInTheDocument();
  });
});
