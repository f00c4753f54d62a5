// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { Ctx, type WorkspaceCtx } from '../workspace/context';
import type { Me } from '../workspace/data';
import SettingsLayout from './Layout';

function renderAs(role: string, path: string) {
  const me = {
    user: { id: 'u1', username: 'u1', email: 'a@acme.test', role },
    tenant: { id: 'acme', name: 'Acme', tier: 'standard', status: 'active', branding: {} },
    limits: {},
  } as unknown as Me;
  const ctx: WorkspaceCtx = { slug: 'acme', me, openCreate: () => {}, openHelp: () => {} };
  const router = createMemoryRouter(
    [
      {
        path: '/w/acme/settings',
        element: <SettingsLayout />,
        children: [{ path: '*', element: <p>the page itself</p> }],
      },
    ],
    { initialEntries: [path] },
  );
  render(
    <Ctx.Provider value={ctx}>
      <RouterProvider router={router} />
    </Ctx.Provider>,
  );
}

const links = () => screen.queryAllByRole('link').map((a) => a.textContent);

describe('settings gating', () => {
  it('shows a Super Admin every page', () => {
    renderAs('super_admin', '/w/acme/settings/billing');
    expect(links()).toEqual([
      'People',
      'Teams',
      'Projects',
      'Workflows',
      'Custom fields',
      'Labels',
      'Import',
      'Branding',
      'Security',
      'API usage',
      'Billing',
      'Audit log',
      'Webhooks',
    ]);
    expect(screen.getByText('the page itself')).toBeInTheDocument();
  });

  it('lists an Admin only the pages an Admin may use', () => {
    renderAs('admin', '/w/acme/settings/teams');
    expect(links()).toEqual([
      'People',
      'Teams',
      'Projects',
      'Workflows',
      'Custom fields',
      'Labels',
      'Import',
      'Audit log',
      'Webhooks',
    ]);
    expect(screen.getByText('the page itself')).toBeInTheDocument();
  });

  it('refuses an Admin a Super Admin page opened by URL', () => {
    renderAs('admin', '/w/acme/settings/billing');
    expect(screen.queryByText('the page itself')).not.toBeInTheDocument();
    expect(screen.getByTestId('forbidden')).toHaveTextContent(
      'Billing is for a Super Admin of the workspace',
    );
  });

  it('refuses a User every settings page', () => {
    renderAs('user', '/w/acme/settings/people');
    expect(links()).toEqual([]);
    expect(screen.getByTestId('forbidden')).toHaveTextContent('People is for an Admin or Super Admin');
  });

  it('refuses a User the workflow and custom field settings opened by URL', () => {
    for (const [path, label] of [
      ['workflows', 'Workflows'],
      ['fields', 'Custom fields'],
    ]) {
      renderAs('user', `/w/acme/settings/${path}?project=WEB`);
      expect(screen.queryByText('the page itself')).not.toBeInTheDocument();
      expect(screen.getByTestId('forbidden')).toHaveTextContent(`${label} is for an Admin or Super Admin`);
      cleanup();
    }
  });

  // A long audit log with no "Load more" scrolled a container nothing in it could focus: axe's
  // scrollable-region-focusable (serious) in e2e/pages.spec.ts once the log outgrew the window.
  it('lets a keyboard reach and scroll the page area even when the page holds nothing focusable', () => {
    renderAs('super_admin', '/w/acme/settings/audit');
    const area = screen.getByText('the page itself').parentElement!;
    expect(area).toHaveClass('overflow-y-auto');
    expect(area).toHaveAttribute('tabindex', '0');
  });
});
