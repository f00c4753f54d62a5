// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import type { FieldDef } from '../../lib/fields';
import { Ctx, type WorkspaceCtx } from './context';
import { keys, useDirectory, type Issue, type Me, type Project } from './data';
import { ProjectProperties } from './IssueFields';
import { projectKeys } from './projectData';

const project = (scale: string, values: { label: string; points: number }[]): Project => ({
  id: 'P1',
  key: 'WEB',
  former_keys: [],
  name: 'Web',
  description: '',
  archived: false,
  estimate_scale: scale,
  estimate_values: values,
  created_at: '2026-11-30T00:00:00Z',
  updated_at: '2026-11-30T00:00:00Z',
  version: 1,
});
const field = (id: string, name: string, type: string, options?: string[]): FieldDef => ({
  id,
  project_id: 'P1',
  name,
  type,
  options,
  created_at: '2026-11-30T00:00:00Z',
  updated_at: '2026-11-30T00:00:00Z',
  version: 1,
});
const issue: Issue = {
  id: 'i1',
  key: 'WEB-1',
  project_id: 'P1',
  number: 1,
  title: 'Totals',
  description: '',
  type: 'task',
  priority: 'none',
  status: 'open',
  category: 'unstarted',
  labels: [],
  mentions: [],
  reporter_id: 'u1',
  created_at: '2026-11-30T00:00:00Z',
  updated_at: '2026-11-30T00:00:00Z',
  version: 2,
  estimate: 5,
  fields: { F2: 3, F5: ['Web'], F6: 'u1' },
};

function Harness({ change }: { change: (c: unknown) => Promise<undefined> }) {
  const dir = useDirectory('acme');
  return (
    <dl>
      <ProjectProperties issue={issue} dir={dir} change={change} onError={() => {}} />
    </dl>
  );
}

function renderWith(p: Project) {
  const qc = new QueryClient();
  qc.setQueryData(keys.projects('acme'), [p]);
  qc.setQueryData(keys.users('acme'), [
    { id: 'u1', email: 'ada@acme.test', display_name: 'Ada', role: 'user', status: 'active' },
  ]);
  qc.setQueryData(keys.teams('acme'), []);
  qc.setQueryData(keys.labels('acme'), []);
  qc.setQueryData(projectKeys.fields('acme', 'P1'), [
    field('F1', 'Browser', 'text'),
    field('F2', 'Severity score', 'number'),
    field('F3', 'Found on', 'date'),
    field('F4', 'Platform', 'select', ['Web', 'iOS']),
    field('F5', 'Targets', 'multi_select', ['Web', 'iOS']),
    field('F6', 'QA owner', 'user'),
  ]);
  const change = vi.fn(async () => undefined);
  const ctx = { slug: 'acme', me: {} as Me, openCreate: () => {}, openHelp: () => {} } as WorkspaceCtx;
  render(
    <QueryClientProvider client={qc}>
      <Ctx.Provider value={ctx}>
        <MemoryRouter>
          <Harness change={change} />
        </MemoryRouter>
      </Ctx.Provider>
    </QueryClientProvider>,
  );
  return change;
}

describe("the issue page's project properties", { timeout: 30_000 }, () => {
  it('gives each custom field the input its type needs', () => {
    renderWith(project('fibonacci', [{ label: '5', points: 5 }]));
    expect(screen.getByLabelText('Browser')).toHaveAttribute('type', 'text');
    expect(screen.getByLabelText('Severity score')).toHaveAttribute('type', 'number');
    expect(screen.getByLabelText('Severity score')).toHaveValue(3);
    expect(screen.getByLabelText('Found on')).toHaveAttribute('type', 'date');
    expect(screen.getByRole('button', { name: 'Platform: None' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Targets: Web' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'QA owner: Ada' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Estimate: 5 points' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Project: Web (WEB)' })).toBeInTheDocument();
  });

  it('sends a typed value merged into the issue’s fields, a blank one as null, and refuses a bad number', () => {
    const change = renderWith(project('fibonacci', []));
    const text = screen.getByLabelText('Browser');
    fireEvent.change(text, { target: { value: ' Firefox ' } });
    fireEvent.keyDown(text, { key: 'Enter' });
    expect(change).toHaveBeenLastCalledWith({
      kind: 'patch',
      patch: { fields: { F1: 'Firefox', F2: 3, F5: ['Web'], F6: 'u1' } },
    });
    const num = screen.getByLabelText('Severity score');
    fireEvent.change(num, { target: { value: '' } });
    fireEvent.blur(num);
    expect(change).toHaveBeenLastCalledWith({
      kind: 'patch',
      patch: { fields: { F2: null, F5: ['Web'], F6: 'u1' } },
    });
    const date = screen.getByLabelText('Found on');
    fireEvent.change(date, { target: { value: '2026-12-01' } });
    expect(change).toHaveBeenLastCalledWith({
      kind: 'patch',
      patch: { fields: { F2: 3, F3: '2026-12-01', F5: ['Web'], F6: 'u1' } },
    });
    expect(change).toHaveBeenCalledTimes(3);
  });

  it('says estimates are off in a project without a scale', () => {
    renderWith(project('none', []));
    expect(screen.getByText('Off in this project')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Estimate/ })).not.toBeInTheDocument();
  });
});
