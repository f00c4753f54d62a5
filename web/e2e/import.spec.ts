import { expect, test } from '@playwright/test';
import { DEMO_PASSWORD } from './env';
import { apiCall, cognitoToken, expectAccessible, screenshots, signIn } from './helpers';

// CSV import (issue 12): a Jira export's preview shows the row errors, the
// run imports the valid rows with progress, the same file again adds nothing.

test('an Admin imports a Jira CSV: preview with row errors, run with progress, re-upload adds nothing', async ({
  page,
}) => {
  const run = Date.now().toString(36);
  const csv = [
    'Issue key,Summary,Issue Type,Status,Priority,Assignee Email,Labels,Resolution',
    `JRA-1,Imported login bug ${run},Bug,To Do,High,admin@acme.test,,Fixed`,
    `JRA-2,Imported export task ${run},Task,In Progress,Medium,,,Fixed`,
    `JRA-3,Imported by a stranger ${run},Task,Done,Low,nobody@elsewhere.test,,Won't Do`,
    `JRA-4,Imported feature ${run},Story,To Do,,,,`,
    `JRA-5,,Bug,To Do,High,,,`,
  ].join('\n');
  const file = { name: `jira-${run}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv + '\n') };

  await signIn(page, 'acme', 'admin@acme.test');
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Import' }).click();
  await expect(page.getByRole('heading', { name: 'Import issues' })).toBeVisible();

  await page.getByLabel('CSV file').setInputFiles(file);
  await page.getByRole('button', { name: 'Upload and preview' }).click();
  const counts = page.getByTestId('preview-counts');
  await expect(counts).toContainText('5 rows: 3 ready to import, 2 with errors');
  const errors = page.getByTestId('row-error');
  await expect(errors.filter({ hasText: 'JRA-3' })).toContainText('nobody@elsewhere.test');
  await expect(errors.filter({ hasText: 'JRA-5' })).toContainText('title');
  await expect(page.getByRole('list', { name: 'Mapped columns' })).toContainText('Summary → title');
  await expect(page.getByText('Resolution', { exact: true })).toBeVisible(); // not imported
  await expect(page.getByTestId('sample-row')).toHaveCount(3);
  await expectAccessible(page, test.info(), 'settings-import');
  await screenshots(page, 'settings-import');

  await page.getByRole('button', { name: 'Import 3 rows' }).click();
  await expect(page.getByTestId('import-done')).toContainText(
    '3 issues created, 0 already there, 2 rows failed (of 5)',
  );
  const token = await cognitoToken('admin@acme.test', DEMO_PASSWORD);
  const found = await apiCall('GET', `/v1/search?q=${run}`, token);
  expect(found.status).toBe(200);

  // The same file again is the same import: nothing is created twice.
  await page.getByLabel('CSV file').setInputFiles(file);
  await page.getByRole('button', { name: 'Upload and preview' }).click();
  await expect(page.getByTestId('import-done')).toContainText('3 issues created');
  const listed = await apiCall('GET', `/v1/issues?limit=100&sort=created`, token);
  const titles = (listed.body.items as { title: string }[])
    .map((i) => i.title)
    .filter((t) => t.includes(run));
  expect(titles.sort()).toEqual(
    [`Imported export task ${run}`, `Imported feature ${run}`, `Imported login bug ${run}`].sort(),
  );
});

test('an Admin imports into a chosen project: the preview maps its custom field and the issues land in it', async ({
  page,
}) => {
  const run = Date.now().toString(36);
  const token = await cognitoToken('admin@acme.test', DEMO_PASSWORD);
  const owner = await cognitoToken('owner@acme.test', DEMO_PASSWORD);
  const key = `IM${run
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '')
    .slice(-6)}`;
  const project = await apiCall('POST', '/v1/projects', owner, { key, name: `Imports ${run}` });
  expect(project.status, JSON.stringify(project.body)).toBe(201);
  const projectId = project.body.id as string;
  // A custom field only this project has: its column maps only when the import targets the project.
  const field = await apiCall('POST', `/v1/projects/${projectId}/fields`, owner, {
    name: `Customer ${run}`,
    type: 'text',
  });
  expect(field.status, JSON.stringify(field.body)).toBe(201);
  const csv = [
    `Summary,Issue Type,Custom field (Customer ${run})`,
    `Chosen project one ${run},Bug,Globex`,
    `Chosen project two ${run},Task,Initech`,
  ].join('\n');

  await signIn(page, 'acme', 'admin@acme.test');
  await page.goto('/w/acme/settings/import');
  await expect(page.getByRole('heading', { name: 'Import issues' })).toBeVisible();
  await page.getByLabel('Import into').selectOption(key);
  await expect(page).toHaveURL(new RegExp(`[?&]project=${key}`));
  await page
    .getByLabel('CSV file')
    .setInputFiles({ name: `chosen-${run}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv + '\n') });
  await page.getByRole('button', { name: 'Upload and preview' }).click();
  await expect(page.getByTestId('preview-counts')).toContainText('2 rows: 2 ready to import, 0 with errors');
  await expect(page.getByRole('list', { name: 'Mapped columns' })).toContainText(
    `Custom field (Customer ${run}) → fields.${field.body.id as string}`,
  );
  await expectAccessible(page, test.info(), 'settings-import-project');
  await page.getByRole('button', { name: 'Import 2 rows' }).click();
  await expect(page.getByTestId('import-done')).toContainText('2 issues created');
  await page.getByRole('link', { name: 'Open the issues' }).click();
  await expect(page).toHaveURL(new RegExp(`/w/acme/issues\\?project=${key}$`));

  const listed = await apiCall('GET', `/v1/issues?limit=100&project=${key}`, token);
  expect(listed.status, JSON.stringify(listed.body)).toBe(200);
  const mine = (
    listed.body.items as {
      key: string;
      title: string;
      project_id: string;
      fields?: Record<string, unknown>;
    }[]
  ).filter((i) => i.title.includes(run));
  expect(mine).toHaveLength(2);
  for (const i of mine) {
    expect(i.project_id).toBe(projectId);
    expect(i.key).toMatch(new RegExp(`^${key}-\\d+$`));
  }
  expect(mine.map((i) => i.fields?.[field.body.id as string]).sort()).toEqual(['Globex', 'Initech']);

  // The same file into another project is a new import there (an import is its file and its project).
  await page.goto('/w/acme/settings/import');
  await page.getByLabel('Import into').selectOption('ACME');
  await page
    .getByLabel('CSV file')
    .setInputFiles({ name: `chosen-${run}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv + '\n') });
  await page.getByRole('button', { name: 'Upload and preview' }).click();
  // The default project has no such custom field: the column is not imported there.
  await expect(page.getByTestId('preview-counts')).toContainText('2 rows: 2 ready to import, 0 with errors');
  await page.getByRole('button', { name: 'Import 2 rows' }).click();
  await expect(page.getByTestId('import-done')).toContainText('2 issues created');
  const found = await apiCall('GET', `/v1/issues?limit=100&project=ACME`, token);
  expect(found.status, JSON.stringify(found.body)).toBe(200);
  const inDefault = (found.body.items as { key: string; title: string }[]).filter((i) =>
    i.title.includes(run),
  );
  expect(inDefault).toHaveLength(2);
  for (const i of inDefault) expect(i.key).toMatch(/^ACME-\d+$/);
});
