import { expect, test, type Page } from '@playwright/test';
import { DEMO_PASSWORD } from './env';
import { apiCall, cognitoToken, expectAccessible, screenshots, signIn } from './helpers';

// Issue 12's pages: projects (settings, switcher, renamed keys), bulk edit,
// saved views with export, and the CSV import.

const uniq = () => Date.now().toString(36).toUpperCase().slice(-5);

async function newProject(token: string, name: string, key: string) {
  const r = await apiCall('POST', '/v1/projects', token, { name, key });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; key: string };
}

async function newIssue(token: string, title: string, projectId: string) {
  const r = await apiCall('POST', '/v1/issues', token, { title, project_id: projectId });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; key: string; version: number };
}

async function openSettings(page: Page, name: string) {
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name }).click();
}

test('an Admin creates a project, sees the key refused inline, renames its key and old keys keep resolving', async ({
  page,
}) => {
  const token = await cognitoToken('admin@acme.test', DEMO_PASSWORD);
  const taken = `T${uniq()}`;
  await newProject(token, 'Taken key', taken);
  // An issue of another project, for "All projects" below to show beside this project's (the
  // spec ran alone on a fresh seed with none: it counted on other specs' issues).
  await newIssue(token, 'An issue of the default project', 'default');
  await signIn(page, 'acme', 'admin@acme.test');
  await openSettings(page, 'Projects');
  await expect(page.getByRole('table', { name: 'Projects' })).toBeVisible();
  await expectAccessible(page, test.info(), 'settings-projects');
  await screenshots(page, 'settings-projects');

  // A taken key: the API's problem+json lands next to the field, the dialog stays open.
  await page.getByRole('button', { name: 'New project' }).click();
  const dialog = page.getByRole('dialog', { name: 'New project' });
  await dialog.getByLabel('Name').fill('Web app');
  // The name suggests a key until one is typed (a new user was left to invent one, and an empty
  // key was refused as malformed).
  await expect(dialog.getByLabel('Key')).toHaveValue('WA');
  await dialog.getByLabel('Key').fill('');
  await dialog.getByRole('button', { name: 'Create project' }).click();
  await expect(dialog.getByRole('alert')).toContainText('Give the project a key');
  await dialog.getByLabel('Key').fill(taken);
  await dialog.getByRole('button', { name: 'Create project' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('is taken');
  await expect(dialog.getByLabel('Key')).toHaveAttribute('aria-invalid', 'true');
  // A malformed key is refused before sending.
  await dialog.getByLabel('Key').fill('1X');
  await dialog.getByRole('button', { name: 'Create project' }).click();
  await expect(dialog.getByRole('alert')).toContainText('starting with a letter');

  const key = `W${uniq()}LONG`; // 10 characters, the most a key has
  await dialog.getByLabel('Key').fill(key);
  await dialog.getByLabel('Lead').selectOption({ index: 1 });
  await dialog.getByRole('button', { name: 'Create project' }).click();
  await expect(dialog).toBeHidden();
  const row = page.getByTestId('project-row').filter({ hasText: key });
  await expect(row).toContainText('Web app');

  // Issues of the project are numbered in it.
  const projects = (await apiCall('GET', '/v1/projects', token)).body.items as { id: string; key: string }[];
  const project = projects.find((p) => p.key === key)!;
  const issue = await newIssue(token, 'First issue of the web project', project.id);
  expect(issue.key).toBe(`${key}-1`);

  // Rename the key: the issue opens by the new key and by the old one.
  const renamed = `N${uniq()}`;
  await row.getByRole('button', { name: 'Settings of Web app' }).click();
  const edit = page.getByRole('dialog', { name: 'Web app settings' });
  await edit.getByLabel('Key').fill(renamed);
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toBeHidden();
  const renamedRow = page.getByTestId('project-row').filter({ hasText: renamed });
  await expect(renamedRow).toContainText(`was ${key}`);

  for (const k of [renamed, key]) {
    await page.goto(`/w/acme/issues/${k}-1`);
    await expect(page.getByRole('heading', { name: 'First issue of the web project' })).toBeVisible();
  }

  // The switcher shows one project's issues; the old key in a link still selects it.
  await page.goto(`/w/acme/issues?project=${key}`);
  await expect(page.getByTestId('project-switcher')).toHaveText('Web app');
  await expect(page.getByTestId('issue-row')).toHaveCount(1);
  await expect(page.getByTestId('issue-row')).toContainText('First issue of the web project');
  // One issue is "1 issue"; a long key (up to 10 characters and the number) keeps to one line.
  await expect(page.getByText('1 issue', { exact: true })).toBeVisible();
  const keyCell = page.getByTestId('issue-row').getByText(/^[A-Z0-9]+-1$/);
  expect(
    await keyCell.evaluate((e: HTMLElement) => e.offsetHeight <= 20 && e.scrollWidth <= e.clientWidth),
  ).toBe(true);
  await page.getByRole('button', { name: /^Project:/ }).click();
  await page.getByRole('menuitemradio', { name: 'All projects' }).click();
  await expect(page).not.toHaveURL(/project=/);
  await expect(page.getByTestId('issue-row').nth(1)).toBeVisible();

  // Archive it: the list marks it.
  await page.goto('/w/acme/settings/projects');
  await page
    .getByTestId('project-row')
    .filter({ hasText: renamed })
    .getByRole('button', { name: 'Settings of Web app' })
    .click();
  await edit.getByLabel(/^Archived/).check();
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('project-row').filter({ hasText: renamed })).toContainText('archived');
});
