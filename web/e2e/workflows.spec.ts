import { expect, test, type Locator, type Page } from '@playwright/test';
import { DEMO_PASSWORD } from './env';
import { apiCall, cognitoToken, expectAccessible, screenshots, signIn } from './helpers';

// Issue 12's workflows and custom fields in the web app: an Admin adds a
// custom status to a project's workflow, sees it as a board column and drops
// an issue in it; defines a custom field and sets it (and an estimate) on
// the issue; deletes the status with its issue mapped elsewhere; moves the
// issue to another project.

const uniq = () => Date.now().toString(36).toUpperCase().slice(-5);

async function drag(page: Page, from: Locator, to: Locator) {
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 10, a.y + a.height / 2 + 5, { steps: 3 });
  await page.mouse.move(b.x + b.width / 2, b.y + 80, { steps: 12 });
  await page.mouse.up();
}

test('an Admin configures a workflow and a custom field, and uses them on the board and the issue', async ({
  page,
}) => {
  const token = await cognitoToken('admin@acme.test', DEMO_PASSWORD);
  const key = `F${uniq()}`;
  const p = await apiCall('POST', '/v1/projects', token, { name: `Flows ${key}`, key });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  const other = await apiCall('POST', '/v1/projects', token, { name: `Other ${key}`, key: `O${uniq()}` });
  expect(other.status, JSON.stringify(other.body)).toBe(201);
  const created = await apiCall('POST', '/v1/issues', token, {
    title: 'Checkout totals',
    project_id: p.body.id,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const issueKey = String(created.body.key);

  await signIn(page, 'acme', 'admin@acme.test');

  // Workflow settings: the default statuses in order; add "Ready for QA" and save.
  await page.goto(`/w/acme/settings/workflows?project=${key}`);
  const statuses = page.getByTestId('status-row');
  await expect(statuses).toHaveCount(4);
  await expect(statuses.first()).toHaveAttribute('data-status', 'open');
  await page.getByLabel('New status').fill('Ready for QA');
  await page.getByLabel('Category', { exact: true }).selectOption('started');
  await page.getByRole('button', { name: 'Add status' }).click();
  await expect(statuses).toHaveCount(5);
  // Move it above Closed, and let Closed issues not reopen into it.
  await page.getByRole('button', { name: 'Move Ready for QA up' }).click();
  await expect(statuses.nth(3)).toHaveAttribute('data-status', 'ready_for_qa');
  await page.getByRole('button', { name: /^Moves from Closed to:/ }).click();
  await page.getByRole('menuitemcheckbox', { name: 'Ready for QA' }).click();
  await page.keyboard.press('Escape');
  await expect(statuses.nth(4).getByTestId('moves-to')).toHaveText('Open');
  await page.getByRole('button', { name: 'Save workflow' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Workflow saved.' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save workflow' })).toBeDisabled();
  // A duplicate name is refused before sending.
  await page.getByLabel('Name of ready_for_qa').fill('closed');
  await page.getByRole('button', { name: 'Save workflow' }).click();
  await expect(statuses.nth(4).getByRole('alert')).toContainText('another status');
  await page.getByRole('button', { name: 'Discard changes' }).click();
  await expectAccessible(page, test.info(), 'settings-workflows');
  await screenshots(page, 'settings-workflows');

  // The board shows the project's statuses as columns, in order; the issue drops into the new one.
  // Wide enough for the five columns: a drag near the edge would scroll the board under the pointer.
  await page.setViewportSize({ width: 1800, height: 800 });
  await page.goto(`/w/acme/board?project=${key}`);
  const cols = page.getByTestId('board').locator('section');
  await expect(cols).toHaveCount(5);
  await expect(cols.nth(3)).toHaveAttribute('aria-label', 'Ready for QA');
  const card = page.getByTestId('card').filter({ hasText: issueKey });
  await expect(page.getByTestId('column-open').getByTestId('card')).toHaveCount(1);
  const moved = page.waitForResponse(
    (r) => r.url().endsWith('/transitions') && r.request().method() === 'POST',
  );
  await drag(page, card, page.getByTestId('column-ready_for_qa'));
  expect((await moved).status(), 'the API accepts the move').toBe(200);
  await expect(
    page.getByTestId('column-ready_for_qa').getByTestId('card').filter({ hasText: issueKey }),
  ).toBeVisible();
  await expectAccessible(page, test.info(), 'board-workflow');
  await screenshots(page, 'board-workflow');

  // Custom fields: a single select "Platform".
  await page.goto(`/w/acme/settings/fields?project=${key}`);
  await expect(page.getByText(`Flows ${key} has no custom fields yet`)).toBeVisible();
  await page.getByRole('button', { name: 'New field' }).click();
  const dialog = page.getByRole('dialog', { name: `New field in Flows ${key}` });
  await dialog.getByLabel('Name').fill('Platform');
  await dialog.getByLabel('Type').selectOption('select');
  await dialog.getByRole('button', { name: 'Create field' }).click();
  await expect(dialog.getByRole('alert')).toContainText('at least one option');
  await dialog.getByLabel('Options').fill('Web\niOS\nAndroid');
  await dialog.getByRole('button', { name: 'Create field' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('field-row')).toContainText(['PlatformSingle selectWeb, iOS, Android']);
  await expectAccessible(page, test.info(), 'settings-fields');
  await screenshots(page, 'settings-fields');

  // The issue page: its custom status by name, the field and an estimate set and kept.
  await page.goto(`/w/acme/issues/${issueKey}`);
  await expect(page.getByRole('button', { name: 'Status: Ready for QA' })).toBeVisible();
  // Each choice is saved by a PATCH; the page shows it at once, so the
  // test waits for the save's answer before reloading (a reload cancels a
  // save in flight, as it would for a user).
  const issueSaved = () =>
    page.waitForResponse(
      (r) => r.request().method() === 'PATCH' && r.url().includes('/v1/issues/') && r.status() === 200,
    );
  await page.getByRole('button', { name: 'Platform: None' }).click();
  const platformSaved = issueSaved();
  await page.getByRole('menuitemradio', { name: 'iOS' }).click();
  await expect(page.getByRole('button', { name: 'Platform: iOS' })).toBeVisible();
  await platformSaved;
  await page.getByRole('button', { name: 'Estimate: No estimate' }).click();
  const estimateSaved = issueSaved();
  await page.getByRole('menuitemradio', { name: '3 points', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Estimate: 3 points' })).toBeVisible();
  await estimateSaved;
  await page.reload();
  await expect(page.getByRole('button', { name: 'Platform: iOS' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Estimate: 3 points' })).toBeVisible();
  const saved = await apiCall('GET', `/v1/issues/${issueKey}`, token);
  expect(saved.body.estimate).toBe(3);
  expect(Object.values(saved.body.fields as Record<string, unknown>)).toEqual(['iOS']);
  await expectAccessible(page, test.info(), 'issue-fields');
  await screenshots(page, 'issue-fields');

  // Delete the status in use: its issue is mapped to In Progress by the job.
  await page.goto(`/w/acme/settings/workflows?project=${key}`);
  await page.getByRole('button', { name: 'Delete Ready for QA' }).click();
  const del = page.getByRole('dialog', { name: 'Delete Ready for QA' });
  await del.getByLabel('Move its issues to').selectOption({ label: 'In Progress' });
  await del.getByRole('button', { name: 'Delete Ready for QA' }).click();
  await expect(del.getByTestId('deletion-progress')).toContainText('Done: 1 issue moved');
  await del.getByRole('button', { name: 'Close' }).click();
  await expect(statuses).toHaveCount(4);
  const after = await apiCall('GET', `/v1/issues/${issueKey}`, token);
  expect(after.body.status).toBe('in_progress');

  // Move the issue to the other project: a new key, and the old one still opens it.
  await page.goto(`/w/acme/issues/${issueKey}`);
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: `Project: Flows ${key} (${key})` }).click();
  await page.getByRole('menuitemradio', { name: `Other ${key}` }).click();
  const otherKey = String(other.body.key);
  await expect(page).toHaveURL(new RegExp(`/issues/${otherKey}-1$`));
  await expect(page.getByRole('button', { name: `Project: Other ${key} (${otherKey})` })).toBeVisible();
});
