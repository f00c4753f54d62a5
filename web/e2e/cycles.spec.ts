import { expect, test } from '@playwright/test';
import { DEMO_PASSWORD } from './env';
import { apiCall, cognitoToken, expectAccessible, screenshots, signIn } from './helpers';

// Cycles (issue 12's sprints in the web app): an Admin creates a cycle, plans
// issues into it, reads its burn-up (the numbers of the API's report) and the
// project's velocity, then bulk-moves issues to the cycle and to another project.

const uniq = () => Date.now().toString(36).toUpperCase().slice(-5);
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

interface Tally {
  issues: number;
  points: number;
}
interface Report {
  committed: Tally;
  scope: Tally;
  completed: Tally;
}

test('cycles: create, plan, burn-up and velocity as the API reports them, bulk-move to a cycle and a project', async ({
  page,
}) => {
  const token = await cognitoToken('admin@acme.test', DEMO_PASSWORD);
  const key = `C${uniq()}`;
  const a = await apiCall('POST', '/v1/projects', token, { name: `Cycles ${key}`, key });
  expect(a.status, JSON.stringify(a.body)).toBe(201);
  const b = await apiCall('POST', '/v1/projects', token, { name: `Target ${key}`, key: `${key}T` });
  expect(b.status, JSON.stringify(b.body)).toBe(201);
  const issues: { id: string; key: string; version: number }[] = [];
  for (const [i, estimate] of [1, 2, 3, 5].entries()) {
    const r = await apiCall('POST', '/v1/issues', token, {
      title: `Sprint item ${i + 1}`,
      project_id: a.body.id,
      estimate,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    issues.push(r.body as unknown as { id: string; key: string; version: number });
  }
  // A finished cycle, so the velocity chart has a bar.
  const past = await apiCall('POST', '/v1/cycles', token, {
    name: 'Sprint 0',
    project_id: a.body.id,
    starts_on: day(-30),
    ends_on: day(-17),
  });
  expect(past.status, JSON.stringify(past.body)).toBe(201);

  await signIn(page, 'acme', 'admin@acme.test');
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Cycles' }).click();
  await expect(page).toHaveURL(/\/w\/acme\/cycles$/);
  await page.getByLabel('Cycles of').selectOption({ label: `Cycles ${key} (${key})` });
  await expect(page).toHaveURL(new RegExp(`project=${key}$`));
  await expect(page.getByRole('region', { name: 'Past' }).getByTestId('cycle-row')).toHaveText(/Sprint 0/);

  // Create a cycle from today for twelve days.
  await page.getByRole('button', { name: 'New cycle' }).click();
  const dialog = page.getByRole('dialog', { name: 'New cycle' });
  await dialog.getByLabel('Name').fill('Sprint A');
  await dialog.getByLabel('First day').fill(day(0));
  await dialog.getByLabel('Last day').fill(day(11));
  await dialog.getByRole('button', { name: 'Create cycle' }).click();
  await expect(dialog).toBeHidden();
  const current = page.getByRole('region', { name: 'Current' }).getByTestId('cycle-row');
  await expect(current).toHaveText(/Sprint A.*active/);

  // Velocity per cycle: the table under the chart is the API's answer.
  const velocity = (await apiCall('GET', `/v1/cycles/velocity?project=${a.body.id}&cycles=6`, token))
    .body as { cycles: ({ cycle: { name: string } } & Report)[] };
  const unit = velocity.cycles.some((c) => c.committed.points || c.completed.points) ? 'points' : 'issues';
  const vcard = page.getByRole('region', { name: `Velocity per cycle (${unit})` });
  await vcard.getByText('Data').click();
  const vrows = (await vcard.locator('tbody tr').allInnerTexts()).map((t) =>
    t.split('\t').map((s) => s.trim()),
  );
  expect(vrows).toEqual(
    [...velocity.cycles]
      .reverse()
      .map((c) => [c.cycle.name, String(c.committed[unit]), String(c.completed[unit])]),
  );
  await expectAccessible(page, test.info(), 'cycles');
  await page.getByRole('main').evaluate((m) => m.scrollTo(0, 0));
  await screenshots(page, 'cycles');

  // Plan three issues into it.
  await current.getByRole('link', { name: 'Sprint A' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Sprint A');
  const cycleId = page.url().split('/').pop()!;
  await page.getByRole('button', { name: 'Plan issues' }).click();
  const plan = page.getByRole('dialog', { name: 'Plan issues into Sprint A' });
  for (const i of issues.slice(0, 3)) await plan.getByRole('checkbox', { name: new RegExp(i.key) }).check();
  await plan.getByRole('button', { name: 'Add 3 issues' }).click();
  await expect(plan).toBeHidden();
  await expect(page.getByTestId('cycle-issue')).toHaveCount(3);

  // One of them is completed: the progress and the burn-up show the report's numbers.
  const done = await apiCall('POST', '/v1/issues/bulk', token, {
    issues: [{ id: issues[2]!.id }],
    changes: { status: 'closed' },
  });
  expect(done.body.succeeded, JSON.stringify(done.body)).toBe(1);
  await page.reload();
  const report = (await apiCall('GET', `/v1/cycles/${cycleId}/report`, token)).body as unknown as Report;
  expect(report.scope.points).toBe(6);
  expect(report.completed.points).toBe(3);
  await expect(page.getByTestId('cycle-progress')).toContainText(
    `${report.completed.points} of ${report.scope.points} points completed`,
  );
  const burn = page.getByRole('region', { name: 'Burn-up (points)' });
  await burn.getByText('Data').click();
  const rows = burn.getByRole('table', { name: 'Burn-up (points) data' }).locator('tbody tr');
  const shown = (await rows.allInnerTexts()).map((t) => t.split('\t').map((s) => s.trim()));
  expect(shown).toEqual([
    [day(0), String(report.scope.points), String(report.completed.points)],
    [day(11), String(report.scope.points), ''],
  ]);
  await expect(burn.getByRole('link', { name: 'Burn-up (points): download CSV' })).toHaveAttribute(
    'href',
    /^data:text\/csv/,
  );
  await expectAccessible(page, test.info(), 'cycle');
  await page.getByRole('main').evaluate((m) => m.scrollTo(0, 0));
  await screenshots(page, 'cycle');

  // The list's bulk bar: all four into the cycle, then into the other project.
  await page.goto(`/w/acme/issues?project=${key}&sort=created&order=asc`);
  await expect(page.getByTestId('issue-row')).toHaveCount(4);
  await page.getByLabel(/^Select all 4 loaded issues/).check();
  const bar = page.getByTestId('bulk-bar');
  await bar.getByRole('button', { name: /^Move to cycle/ }).click();
  await page.getByRole('menuitemradio', { name: 'Sprint A' }).click();
  const result = page.getByTestId('bulk-result');
  await expect(result).toContainText('cycle: 4 updated');
  await expect(result.getByTestId('bulk-item')).toHaveCount(4);
  const inCycle = await apiCall('GET', `/v1/issues?cycle=${cycleId}`, token);
  expect((inCycle.body.items as unknown[]).length).toBe(4);

  await bar.getByRole('button', { name: /^Move to project/ }).click();
  await page.getByRole('menuitemradio', { name: `Target ${key} (${key}T)` }).click();
  await expect(result).toContainText('project: 4 updated');
  // One move per issue, in the list's order: the new keys keep it.
  await expect(result.getByTestId('bulk-item')).toHaveText(
    issues.map((it, i) => `updated: ${it.key} → ${key}T-${i + 1}`),
  );
  await expect(bar.getByRole('status').first()).toHaveText('The selected issues left this list');
  await expectAccessible(page, test.info(), 'issues-bulk-moved');
  await screenshots(page, 'issues-bulk-moved');
  const moved = await apiCall('GET', `/v1/issues?project=${key}T`, token);
  expect((moved.body.items as unknown[]).length).toBe(4);
});
