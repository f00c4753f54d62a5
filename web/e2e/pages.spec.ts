import { expect, test, type Page } from '@playwright/test';
import { createIssue, expectAccessible, screenshots, signIn } from './helpers';

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
