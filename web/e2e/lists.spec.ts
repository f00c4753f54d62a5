import { expect, test } from '@playwright/test';
import fs from 'node:fs';
import { DEMO_PASSWORD } from './env';
import { apiCall, cognitoToken, expectAccessible, screenshots, signIn } from './helpers';

// The issue list of issue 12: bulk edit (checkboxes, shift-range, select all,
// per-issue results) and saved views (save, open, rename, delete, export).

const uniq = () => Date.now().toString(36).toUpperCase().slice(-5);

async function projectWithIssues(token: string, n: number) {
  const key = `B${uniq()}`;
  const p = await apiCall('POST', '/v1/projects', token, { name: `Bulk ${key}`, key });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) {
    const r = await apiCall('POST', '/v1/issues', token, { title: `Bulk item ${i}`, project_id: p.body.id });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    ids.push(r.body.id as string);
  }
  return { key, ids };
}

test('bulk edit: shift-range and select all, one change for all, a conflicting issue listed as failed', async ({
  page,
}) => {
  const token = await cognitoToken('admin@acme.test', DEMO_PASSWORD);
  const { key, ids } = await projectWithIssues(token, 5);
  await signIn(page, 'acme', 'user@acme.test');
  await page.goto(`/w/acme/issues?project=${key}&sort=created&order=asc`);
  const rows = page.getByTestId('issue-row');
  await expect(rows).toHaveCount(5);

  // Click the first, shift-click the fourth: four selected.
  const boxes = page.getByTestId('issue-select');
  await boxes.nth(0).click();
  await boxes.nth(3).click({ modifiers: ['Shift'] });
  const bar = page.getByTestId('bulk-bar');
  await expect(bar.getByRole('status').first()).toHaveText('4 selected');
  await expect(boxes.nth(4)).not.toBeChecked();
  await expectAccessible(page, test.info(), 'issues-bulk');
  await screenshots(page, 'issues-bulk');

  // Someone changes the second issue meanwhile: that one fails, the others change.
  const changed = await apiCall('PATCH', `/v1/issues/${ids[1]}`, token, { title: 'Bulk item 2 (edited)' });
  expect(changed.status, JSON.stringify(changed.body)).toBe(200);
  await bar.getByRole('button', { name: /^Set priority/ }).click();
  await page.getByRole('menuitemradio', { name: 'High' }).click();
  const result = page.getByTestId('bulk-result');
  await expect(result).toContainText('priority: 3 updated, 1 failed');
  await expect(result.getByRole('list', { name: 'Issues not updated' })).toContainText(`${key}-2`);
  const high = await apiCall('GET', `/v1/issues?project=${key}&priority=high`, token);
  expect((high.body.items as unknown[]).length).toBe(3);

  // Select all: the five, then assign them all to nobody and set a status.
  await page.getByLabel(/^Select all 5 loaded issues/).check();
  await expect(bar.getByRole('status').first()).toHaveText('5 selected');
  await bar.getByRole('button', { name: /^Set status/ }).click();
  await page.getByRole('menuitemradio', { name: 'In Progress' }).click();
  await expect(result).toContainText('status: 5 updated');
  await bar.getByRole('button', { name: 'Clear selection' }).click();
  await expect(bar).toBeHidden();
  const started = await apiCall('GET', `/v1/issues?project=${key}&status=in_progress`, token);
  expect((started.body.items as unknown[]).length).toBe(5);
});

test('saved views: save the list with grouping, open it from the picker and by URL, rename, export, delete', async ({
  page,
}) => {
  const token = await cognitoToken('admin@acme.test', DEMO_PASSWORD);
  const { key } = await projectWithIssues(token, 3);
  await signIn(page, 'acme', 'user@acme.test');
  await page.goto(`/w/acme/issues?project=${key}`);
  await expect(page.getByTestId('issue-row')).toHaveCount(3);

  // Group by priority and hide the due date column; the URL keeps both.
  await page.getByRole('button', { name: /^Display/ }).click();
  await page.getByRole('menuitemradio', { name: 'Priority' }).click();
  await expect(page).toHaveURL(/group=priority/);
  await expect(page.getByTestId('group-row')).toHaveText(['No priority 3']);
  await page.keyboard.press('Escape');

  const name = `Bulk view ${key}`;
  await page.getByTestId('view-picker').click();
  await page.getByRole('menuitem', { name: 'Save as new view…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Save view' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByLabel('Everyone in the workspace').check();
  await dialog.getByRole('button', { name: 'Save view' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('view-picker')).toHaveAccessibleName(`View: ${name}`);
  const viewId = new URL(page.url()).searchParams.get('view');
  expect(viewId).toBeTruthy();
  await expectAccessible(page, test.info(), 'issues-view');

  // All issues, then the view again from the picker (listed under Shared views).
  await page.getByTestId('view-picker').click();
  await page.getByRole('menuitem', { name: 'All issues' }).click();
  await expect(page).not.toHaveURL(/view=/);
  await page.getByTestId('view-picker').click();
  await page.getByRole('menuitem', { name }).click();
  await expect(page).toHaveURL(new RegExp(`project=${key}.*group=priority.*view=`));
  await expect(page.getByTestId('issue-row')).toHaveCount(3);

  // Its own URL opens the same list.
  await page.goto(`/w/acme/views/${viewId}`);
  await expect(page).toHaveURL(/group=priority/);
  await expect(page.getByTestId('issue-row')).toHaveCount(3);

  // A change marks the view changed; saving it clears the mark.
  await page.getByRole('button', { name: /^Display/ }).click();
  await page.getByRole('menuitemradio', { name: 'No grouping' }).click();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('view-picker')).toHaveAccessibleName(`View: ${name} (changed)`);
  await page.getByTestId('view-picker').click();
  await page.getByRole('menuitem', { name: `Save changes to “${name}”` }).click();
  await expect(page.getByTestId('view-picker')).toHaveAccessibleName(`View: ${name}`);

  // Export as CSV: the view's columns and its three issues.
  await page.getByTestId('view-picker').click();
  const download = page.waitForEvent('download');
  await page.getByRole('menuitem', { name: 'Export as CSV' }).click();
  const file = await (await download).path();
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(4);
  expect(lines.slice(1).join('\n')).toContain('Bulk item 1');

  // Rename, then delete.
  await page.getByTestId('view-picker').click();
  await page.getByRole('menuitem', { name: 'Rename view…' }).click();
  const rename = page.getByRole('dialog', { name: `Rename ${name}` });
  await rename.getByLabel('Name').fill(`${name} renamed`);
  await rename.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('view-picker')).toHaveAccessibleName(`View: ${name} renamed`);
  await page.getByTestId('view-picker').click();
  await page.getByRole('menuitem', { name: 'Delete view' }).click();
  await expect(page.getByTestId('view-picker')).toHaveAccessibleName('View: All issues');
  const views = await apiCall('GET', '/v1/views', token);
  expect((views.body.items as { id: string }[]).some((v) => v.id === viewId)).toBe(false);
});
