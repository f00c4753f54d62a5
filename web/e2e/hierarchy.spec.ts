import { expect, test } from '@playwright/test';
import { DEMO_PASSWORD } from './env';
import { apiCall, cognitoToken, expectAccessible, screenshots, signIn } from './helpers';

// Sub-issues and relations on the issue page (issue 12).

test('an issue is broken into sub-issues with progress, and blocks another (no cycles)', async ({ page }) => {
  const token = await cognitoToken('owner@acme.test', DEMO_PASSWORD);
  const run = Date.now().toString(36);
  const mk = async (title: string) => {
    const r = await apiCall('POST', '/v1/issues', token, { title });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: string; key: string };
  };
  const epic = await mk(`Checkout revamp ${run}`);
  const other = await mk(`Payment provider switch ${run}`);
  await signIn(page, 'acme', 'user@acme.test');
  await page.goto(`/w/acme/issues/${epic.key}`);
  await expect(page.getByRole('heading', { name: `Checkout revamp ${run}` })).toBeVisible();

  // Two sub-issues from the page.
  await page.getByRole('button', { name: 'Add sub-issue' }).click();
  for (const t of ['Cart page', 'Receipt mail']) {
    await page.getByLabel('New sub-issue title').fill(`${t} ${run}`);
    await page.getByRole('button', { name: 'Add sub-issue' }).click();
    await expect(page.getByTestId('sub-issue').filter({ hasText: t })).toBeVisible();
  }
  await expect(page.getByTestId('sub-progress')).toHaveText('0 of 2 done');

  // One is finished elsewhere: the parent's progress rolls up.
  const kids = await apiCall('GET', `/v1/issues?parent=${epic.id}`, token);
  const cart = (kids.body.items as { id: string; title: string }[]).find((i) => i.title.startsWith('Cart'))!;
  for (const to of ['in_progress', 'in_review', 'closed']) {
    const r = await apiCall('POST', `/v1/issues/${cart.id}/transitions`, token, { to });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
  await page.reload();
  await expect(page.getByTestId('sub-progress')).toHaveText('1 of 2 done');

  // A sub-issue links back to its parent.
  await page.getByTestId('sub-issue').filter({ hasText: 'Receipt mail' }).getByRole('link').click();
  await expect(page.getByTestId('parent-link')).toContainText(epic.key);
  await page.getByTestId('parent-link').getByRole('link').click();

  // The epic blocks the other issue; the other shows "Blocked by".
  await page.getByLabel('Relation type').selectOption('blocks');
  await page.getByLabel('Other issue key').fill(other.key);
  await page.getByRole('button', { name: 'Add relation' }).click();
  await expect(page.getByRole('list', { name: 'Blocks' }).getByTestId('relation')).toContainText(other.key);
  await expectAccessible(page, test.info(), 'issue-hierarchy');
  await screenshots(page, 'issue-hierarchy');

  await page.goto(`/w/acme/issues/${other.key}`);
  await expect(page.getByRole('list', { name: 'Blocked by' }).getByTestId('relation')).toContainText(
    epic.key,
  );
  // A cycle of blocks is refused next to the field; an unknown key too.
  await page.getByLabel('Relation type').selectOption('blocks');
  await page.getByLabel('Other issue key').fill(epic.key);
  await page.getByRole('button', { name: 'Add relation' }).click();
  await expect(page.locator('#relation-error')).toBeVisible();
  await expect(page.getByLabel('Other issue key')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Other issue key').fill('NOPE-99999');
  await page.getByRole('button', { name: 'Add relation' }).click();
  await expect(page.locator('#relation-error')).toContainText('no such issue');

  // Removing it removes it from both sides.
  await page.getByRole('button', { name: `Remove relation Blocked by ${epic.key}` }).click();
  await expect(page.getByTestId('relation')).toHaveCount(0);
  await page.goto(`/w/acme/issues/${epic.key}`);
  await expect(page.getByRole('heading', { name: 'Relations' })).toBeVisible();
  await expect(page.getByTestId('relation')).toHaveCount(0);
});
