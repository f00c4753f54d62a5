import { expect, test } from '@playwright/test';
import { DEMO_PASSWORD, PHONE } from './env';
import { apiCall, cognitoToken, expectAccessible, screenshots, signIn } from './helpers';

// Issue 12's leftovers in the web app: an "All projects" list draws each issue's status from its own
// project's workflow and the bulk bar offers only the statuses every selected project has; the create
// dialog picks the project with its estimate scale and custom fields (a field deleted meanwhile is
// refused on that field); a custom field is deleted from the fields page; a team plans its own cycles;
// the workflow table is readable on a phone.

const uniq = () => Date.now().toString(36).toUpperCase().slice(-5);

const DEFAULT_STATUSES = [
  {
    status: 'open',
    name: 'Open',
    category: 'unstarted',
    color: '#8a8f98',
    next: ['in_progress', 'closed', 'qa'],
  },
  {
    status: 'in_progress',
    name: 'In Progress',
    category: 'started',
    color: '#f2c94c',
    next: ['open', 'in_review', 'closed'],
  },
  {
    status: 'in_review',
    name: 'In Review',
    category: 'started',
    color: '#5e6ad2',
    next: ['in_progress', 'closed'],
  },
  { status: 'qa', name: 'Ready for QA', category: 'started', color: '#0e7490', next: ['closed', 'open'] },
  { status: 'closed', name: 'Closed', category: 'completed', color: '#4cb782', next: ['open'] },
];

test('All projects use each project’s workflow; the create dialog, field deletion and team cycles', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const token = await cognitoToken('admin@acme.test', DEMO_PASSWORD);
  const u = uniq();
  const plainKey = `A${u}`;
  const qaKey = `Q${u}`;
  const plain = await apiCall('POST', '/v1/projects', token, { name: `Plain ${u}`, key: plainKey });
  expect(plain.status, JSON.stringify(plain.body)).toBe(201);
  const qa = await apiCall('POST', '/v1/projects', token, {
    name: `QA flow ${u}`,
    key: qaKey,
    estimate_scale: 'fibonacci',
  });
  expect(qa.status, JSON.stringify(qa.body)).toBe(201);
  const wf = await apiCall('PUT', `/v1/projects/${qa.body.id}/workflow`, token, {
    statuses: DEFAULT_STATUSES,
  });
  expect(wf.status, JSON.stringify(wf.body)).toBe(200);
  const browser = await apiCall('POST', `/v1/projects/${qa.body.id}/fields`, token, {
    name: 'Browser',
    type: 'text',
  });
  expect(browser.status, JSON.stringify(browser.body)).toBe(201);
  const severity = await apiCall('POST', `/v1/projects/${qa.body.id}/fields`, token, {
    name: 'Severity',
    type: 'number',
  });
  expect(severity.status, JSON.stringify(severity.body)).toBe(201);
  const label = await apiCall('POST', '/v1/labels', token, { name: `mixed-${u}`, color: '#0e7490' });
  expect(label.status, JSON.stringify(label.body)).toBe(201);
  const keys: string[] = [];
  for (const [project, title] of [
    [plain, 'Plain one'],
    [plain, 'Plain two'],
    [qa, 'QA one'],
    [qa, 'QA two'],
  ] as const) {
    const r = await apiCall('POST', '/v1/issues', token, {
      title: `${title} ${u}`,
      project_id: project.body.id,
      labels: [label.body.id],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    keys.push(String(r.body.key));
  }
  const qaIssue = await apiCall('GET', `/v1/issues/${keys[3]}`, token);
  const toQA = await apiCall('POST', `/v1/issues/${qaIssue.body.id}/transitions`, token, { to: 'qa' });
  expect(toQA.status, JSON.stringify(toQA.body)).toBe(200);

  await signIn(page, 'acme', 'admin@acme.test');

  // An "All projects" list of both projects' issues: the QA project's custom status by its own name.
  await page.goto(`/w/acme/issues?label=${label.body.id}&group=status`);
  await expect(page.getByTestId('project-switcher')).toHaveText('All projects');
  await expect(page.getByTestId('issue-row')).toHaveCount(4);
  await expect(page.getByTestId('group-row').filter({ hasText: 'Ready for QA' })).toHaveText(
    /Ready for QA\s*1/,
  );
  await expect(
    page.getByTestId('issue-row').filter({ hasText: keys[3]! }).getByRole('img', { name: 'Ready for QA' }),
  ).toBeVisible();
  await page
    .getByRole('toolbar', { name: 'Filters' })
    .getByRole('button', { name: 'Status', exact: true })
    .click();
  await expect(page.getByRole('menuitemcheckbox', { name: 'Ready for QA' })).toBeVisible();
  await page.keyboard.press('Escape');

  // Bulk status across both projects: Ready for QA is not offered, and the menu says for which issues.
  await page.getByLabel('Select all 4 loaded issues').check();
  const bar = page.getByTestId('bulk-bar');
  await bar.getByRole('button', { name: /^Set status/ }).click();
  const menu = page.getByRole('menu', { name: 'Set status' });
  await expect(menu.getByRole('menuitemradio')).toHaveText(['Open', 'In Progress', 'In Review', 'Closed']);
  // the issues in the list's order (last updated first)
  await expect(menu.getByTestId('status-not-offered')).toContainText(
    `Ready for QA: ${plainKey} has no Ready for QA status (${keys[1]}, ${keys[0]})`,
  );
  await screenshots(page, 'issues-all-projects-bulk-status');
  await menu.getByRole('menuitemradio', { name: 'Closed' }).click();
  await expect(page.getByTestId('bulk-result')).toContainText('status: 4 updated');
  await expectAccessible(page, test.info(), 'issues-all-projects-bulk');

  // The create dialog on the QA project's list: its scale and its fields; a field deleted meanwhile is
  // refused on that field, and the issue is created once the value is cleared.
  await page.goto(`/w/acme/issues?project=${qaKey}`);
  await expect(page.getByTestId('project-switcher')).toHaveText(`QA flow ${u}`);
  await page.getByRole('button', { name: 'New issue', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'New issue' });
  await expect(dialog.getByRole('button', { name: `Project: QA flow ${u} (${qaKey})` })).toBeVisible();
  await expect(dialog.getByRole('group', { name: `Fields of QA flow ${u}` })).toBeVisible();
  await dialog.getByLabel('Title').fill(`Created with fields ${u}`);
  await dialog.getByLabel('Browser').fill('Firefox 140');
  await dialog.getByLabel('Severity').fill('3');
  await dialog.getByRole('button', { name: 'Estimate: No estimate' }).click();
  await page.getByRole('menuitemradio', { name: '5 points' }).click();
  await expectAccessible(page, test.info(), 'create-issue-fields');
  await screenshots(page, 'create-issue-fields');
  const gone = await apiCall('DELETE', `/v1/projects/${qa.body.id}/fields/${browser.body.id}`, token);
  expect(gone.status).toBe(204);
  await dialog.getByRole('button', { name: 'Create issue' }).click();
  await expect(dialog.getByRole('alert').filter({ hasText: /^Browser:/ })).toBeVisible();
  await expect(dialog.getByLabel('Browser')).toHaveAttribute('aria-invalid', 'true');
  await dialog.getByLabel('Browser').fill('');
  await dialog.getByRole('button', { name: 'Create issue' }).click();
  await expect(dialog).toBeHidden();
  const toast = page.getByRole('status').filter({ hasText: 'Created' });
  const createdKey = /([A-Z0-9]+-\d+)/.exec((await toast.textContent()) ?? '')?.[1] ?? '';
  expect(createdKey.startsWith(`${qaKey}-`), createdKey).toBe(true);
  const created = await apiCall('GET', `/v1/issues/${createdKey}`, token);
  expect(created.body).toMatchObject({
    project_id: qa.body.id,
    estimate: 5,
    fields: { [String(severity.body.id)]: 3 },
  });

  // The "All projects" create dialog files into the default project, without the QA project's fields.
  await page.goto('/w/acme/issues');
  await page.getByRole('button', { name: 'New issue', exact: true }).click();
  await expect(dialog.getByRole('button', { name: /^Project: .*\(ACME\)$/ })).toBeVisible();
  await expect(dialog.getByText(/^Fields of/)).toHaveCount(0);
  await page.keyboard.press('Escape');

  // The fields page deletes a field after saying what happens to its values.
  await page.goto(`/w/acme/settings/fields?project=${qaKey}`);
  await expect(page.getByTestId('field-row')).toHaveCount(1);
  await page.getByRole('button', { name: 'Delete Severity' }).click();
  const del = page.getByRole('dialog', { name: 'Delete Severity?' });
  await expect(del).toContainText('keep the values they hold, but they are ignored');
  await expectAccessible(page, test.info(), 'settings-fields-delete');
  await screenshots(page, 'settings-fields-delete');
  await del.getByRole('button', { name: 'Delete field' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Severity is deleted' })).toBeVisible();
  await expect(page.getByTestId('field-row')).toHaveCount(0);

  // A team's cycles: empty, then one created and renamed; its page links back to the team's cycles.
  const team = await apiCall('POST', '/v1/teams', token, { name: `Squad ${u}` });
  expect(team.status, JSON.stringify(team.body)).toBe(201);
  await page.goto('/w/acme/cycles');
  await page.getByLabel('Cycles of').selectOption({ label: `Squad ${u} (team)` });
  await expect(page).toHaveURL(new RegExp(`team=${team.body.id}`));
  await expect(page.getByText(`No cycles in Squad ${u} yet`)).toBeVisible();
  await page.getByRole('button', { name: 'New cycle' }).first().click();
  const cd = page.getByRole('dialog', { name: 'New cycle' });
  await expect(cd.getByLabel('Name')).toHaveValue('Cycle 1');
  await cd.getByRole('button', { name: 'Create cycle' }).click();
  await expect(cd).toBeHidden();
  const row = page.getByTestId('cycle-row');
  await expect(row).toHaveCount(1);
  await row.getByRole('button', { name: 'Edit Cycle 1' }).click();
  const ed = page.getByRole('dialog', { name: 'Edit Cycle 1' });
  await ed.getByLabel('Name').fill(`Squad sprint ${u}`);
  await ed.getByRole('button', { name: 'Save' }).click();
  await expect(row.getByRole('link')).toHaveText(`Squad sprint ${u}`);
  const cycles = await apiCall('GET', `/v1/cycles?team=${team.body.id}`, token);
  expect((cycles.body.items as { team_id?: string; name: string }[])[0]).toMatchObject({
    team_id: team.body.id,
    name: `Squad sprint ${u}`,
  });
  await expectAccessible(page, test.info(), 'team-cycles');
  await screenshots(page, 'team-cycles');
  await row.getByRole('link').click();
  await expect(page.getByRole('link', { name: `Squad ${u} cycles` })).toBeVisible();

  // The workflow table on a phone: every status's category is in view without scrolling sideways.
  await page.goto(`/w/acme/settings/workflows?project=${qaKey}`);
  await page.setViewportSize(PHONE);
  const cat = page.getByLabel('Category of Ready for QA');
  await cat.scrollIntoViewIfNeeded();
  const box = (await cat.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  await expect(page.getByRole('button', { name: /^Moves from Ready for QA to:/ })).toBeInViewport();
  await expectAccessible(page, test.info(), 'settings-workflows-phone');
  await screenshots(page, 'settings-workflows-phone');
});
