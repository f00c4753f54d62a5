import { expect, test } from '@playwright/test';
import { apiCall, cognitoToken, createIssue, signIn } from './helpers';

test.describe.configure({ mode: 'serial' });

// A request for another tenant's object answers exactly like one for a
// missing object: the same not-found page.
test("another tenant's issue URL shows the same not-found page as a missing issue", async ({ browser }) => {
  const acme = await (await browser.newContext()).newPage();
  await signIn(acme, 'acme', 'user@acme.test');
  const key = await createIssue(acme, `Secret roadmap ${Date.now()}`);
  await acme.goto(`/w/acme/issues/${key}`);
  const idURL = acme.url();
  await expect(acme.getByRole('heading', { level: 1 })).toContainText('Secret roadmap');
  const issueId = (await apiCall('GET', `/v1/issues/${key}`, await cognitoToken('user@acme.test'))).body
    .id as string;

  const globex = await (await browser.newContext()).newPage();
  await signIn(globex, 'globex', 'owner@globex.test');
  const shown = async (url: string) => {
    await globex.goto(url);
    const nf = globex.getByTestId('not-found');
    await expect(nf).toBeVisible();
    return nf.innerText();
  };
  const missing = await shown('/w/globex/issues/GLOBEX-99999');
  expect(await shown(`/w/globex/issues/${key}`)).toBe(missing); // acme's key pasted into globex
  expect(await shown(`/w/globex/issues/${issueId}`)).toBe(missing); // acme's issue id
  await expect(globex.getByText('Secret roadmap')).toHaveCount(0);
  expect(idURL).toContain('/w/acme/');
});

test("a suspended tenant's user sees the suspension page", async ({ page }) => {
  const root = await cognitoToken('root@issuetracker.local', undefined, true);
  const s = await apiCall('POST', '/v1/admin/tenants/globex/suspend', root, {
    reason: 'e2e: unpaid invoice',
  });
  expect(s.status, JSON.stringify(s.body)).toBe(200);
  try {
    // Cognito still signs the user in; the API refuses the tenant (403
    // tenant_suspended) once its registry cache (<= 10 s) has expired.
    await expect(async () => {
      await page.goto('/w/globex/signin');
      await page.getByLabel('Email').fill('owner@globex.test');
      await page.getByLabel('Password', { exact: true }).fill('Demo-Passw0rd!');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.getByTestId('suspended')).toBeVisible(); // a whole sign-in per attempt: the full expect timeout
    }).toPass({ timeout: 90_000, intervals: [1_000, 2_000, 3_000] });
    await expect(page).toHaveURL(/\/w\/globex\/suspended$/);
    await expect(page.getByRole('heading', { name: 'This workspace is suspended' })).toBeVisible();
  } finally {
    await apiCall('POST', '/v1/admin/tenants/globex/reactivate', root);
  }
});
