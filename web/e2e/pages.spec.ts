import { expect, test, type Page } from '@playwright/test';
import {
  apiCall,
  cognitoToken,
  createIssue,
  expectAccessible,
  rootSignIn,
  screenshots,
  signIn,
} from './helpers';

// The four sweeps are independent (each signs in itself), so they spread
// over the workers instead of queuing on one: this file is the suite's
// longest (311 s of the run's 1,299 s of test time on 1 Dec 2026). A sweep
// of 7 to 12 pages took up to 2 min at a load average of 30 on 2 cores, so
// each has 4 (the suite's default is 2).
test.describe.configure({ mode: 'parallel', timeout: 240_000 });

// axe-core on every main page (no serious or critical violation) and
// screenshots at desktop and phone width, kept under web/artifacts/.
async function check(page: Page, name: string, ready: () => Promise<void>) {
  await ready();
  await expectAccessible(page, test.info(), name);
  await screenshots(page, name);
}

test('public pages are accessible', async ({ page }) => {
  await page.goto('/');
  await check(page, 'landing', () =>
    expect(page.getByRole('list', { name: 'Plans' }).locator('> li')).toHaveCount(4),
  );
  await page.goto('/pricing');
  await check(page, 'pricing', () => expect(page.getByRole('heading', { name: 'Platinum' })).toBeVisible());
  await page.goto('/signup');
  await check(page, 'signup', () => expect(page.getByRole('radio')).toHaveCount(4));
  await page.goto('/signin');
  await check(page, 'find-workspace', () => expect(page.getByLabel('Workspace')).toBeVisible());
  await page.goto('/w/acme/signin');
  await check(page, 'signin', () => expect(page.getByLabel('Email')).toBeVisible());
  await page.goto('/w/acme/suspended');
  await check(page, 'suspended', () => expect(page.getByTestId('suspended')).toBeVisible());
  await page.goto('/nothing/here');
  await check(page, 'not-found', () => expect(page.getByTestId('not-found')).toBeVisible());
});

test('workspace pages are accessible', async ({ page }) => {
  await signIn(page, 'acme', 'owner@acme.test');
  const key = await createIssue(
    page,
    'Export to CSV drops the last row',
    'When exporting **100** rows, only 99 arrive.\n\n- open a list\n- export',
  );
  await page.goto('/w/acme/issues');
  await check(page, 'issues', () => expect(page.getByTestId('issue-row').first()).toBeVisible());
  await page.goto('/w/acme/board');
  await check(page, 'board', () => expect(page.getByTestId('card').first()).toBeVisible());
  await page.goto(`/w/acme/issues/${key}`);
  await check(page, 'issue', () =>
    expect(page.getByRole('heading', { name: /Export to CSV/ })).toBeVisible(),
  );
  await page.keyboard.press('c');
  await check(page, 'create-issue', () =>
    expect(page.getByRole('dialog', { name: 'New issue' })).toBeVisible(),
  );
  await page.keyboard.press('Escape');
  await page.keyboard.press('?');
  await check(page, 'shortcuts', () =>
    expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible(),
  );
  await page.keyboard.press('Escape');
  await page.goto('/w/acme/account/security');
  await check(page, 'mfa', () =>
    expect(page.getByRole('button', { name: 'Set up an authenticator' })).toBeVisible(),
  );
  await page.goto('/w/acme/issues/ACME-99999');
  await check(page, 'issue-not-found', () => expect(page.getByTestId('not-found')).toBeVisible());
});

test('provider console pages are accessible', async ({ page }) => {
  await page.goto('/admin/signin');
  await check(page, 'admin-signin', () =>
    expect(page.getByRole('heading', { name: 'Provider console' })).toBeVisible(),
  );
  await rootSignIn(page, '/admin/tenants');
  await check(page, 'admin-tenants', () => expect(page.getByTestId('tenant-row').first()).toBeVisible());
  await page.goto('/admin/tenants/acme');
  await check(page, 'admin-tenant', () =>
    expect(page.getByRole('table', { name: 'Users of the tenant' })).toBeVisible(),
  );
  await page.getByRole('button', { name: 'Offboard' }).click();
  await check(page, 'admin-offboard', () =>
    expect(page.getByRole('dialog', { name: 'Offboard Acme Corp' })).toBeVisible(),
  );
  await page.keyboard.press('Escape');
  await page.goto('/admin/approvals');
  await check(page, 'admin-approvals', () =>
    expect(page.getByRole('heading', { name: 'Waiting for approval' })).toBeVisible(),
  );
  await page.goto('/admin/analytics');
  await check(page, 'admin-analytics', () =>
    expect(page.getByRole('heading', { name: 'MRR by tier' })).toBeVisible(),
  );
  await page.goto('/admin/settings');
  await check(page, 'admin-settings', async () => {
    await expect(page.getByRole('table', { name: 'Tier catalog' })).toBeVisible();
    await expect(page.getByTestId('registration-state')).toHaveText('open');
  });
  await page.goto('/admin/health');
  await check(page, 'admin-health', () => expect(page.getByTestId('health-state')).toBeVisible());
});

test('settings and analytics pages are accessible', async ({ page }) => {
  // The audit log shows a row of this test's own (an invitation), not
  // one another spec happened to leave.
  const invited = await apiCall('POST', '/v1/users', await cognitoToken('owner@acme.test'), {
    email: `audited-${Date.now().toString(36)}@acme.test`,
    role: 'user',
  });
  expect(invited.status, JSON.stringify(invited.body)).toBe(201);
  await signIn(page, 'acme', 'owner@acme.test');
  const pages: [string, string, () => Promise<void>][] = [
    [
      'settings-people',
      '/w/acme/settings/people',
      () => expect(page.getByRole('table', { name: 'People' })).toBeVisible(),
    ],
    [
      'settings-teams',
      '/w/acme/settings/teams',
      () => expect(page.getByRole('heading', { name: 'Teams', exact: true })).toBeVisible(),
    ],
    [
      'settings-labels',
      '/w/acme/settings/labels',
      () => expect(page.getByRole('heading', { name: 'Labels', exact: true })).toBeVisible(),
    ],
    [
      'settings-branding',
      '/w/acme/settings/branding',
      () => expect(page.getByTestId('brand-preview')).toBeVisible(),
    ],
    [
      'settings-security',
      '/w/acme/settings/security',
      () => expect(page.getByTestId('support-state')).toBeVisible(),
    ],
    [
      'settings-usage',
      '/w/acme/settings/usage',
      () => expect(page.getByTestId('gauge-api-calls')).toBeVisible(),
    ],
    [
      'settings-billing',
      '/w/acme/settings/billing',
      () => expect(page.getByTestId('current-plan')).toBeVisible(),
    ],
    [
      'settings-audit',
      '/w/acme/settings/audit',
      () => expect(page.getByTestId('audit-row').first()).toBeVisible(),
    ],
    [
      'analytics-issues',
      '/w/acme/analytics/issues',
      () => expect(page.getByTestId('issue-totals')).toBeVisible(),
    ],
    [
      'analytics-teams',
      '/w/acme/analytics/teams',
      () => expect(page.getByRole('link', { name: 'Teams' })).toBeVisible(),
    ],
    [
      'analytics-people',
      '/w/acme/analytics/people',
      () => expect(page.getByRole('region', { name: /completed issues and first responses/ })).toBeVisible(),
    ],
  ];
  for (const [name, url, ready] of pages) {
    await page.goto(url);
    await check(page, name, ready);
  }
  await page.goto('/w/acme/settings/people');
  await page.getByRole('button', { name: 'Invite' }).click();
  await check(page, 'settings-invite', () =>
    expect(page.getByRole('dialog', { name: 'Invite a person' })).toBeVisible(),
  );
});
