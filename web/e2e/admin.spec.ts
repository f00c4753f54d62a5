import { expect, test } from '@playwright/test';
import { firstSignIn, registerCompany, rootSignIn } from './helpers';

// The provider console, as Root uses it: a paid sign-up is let in from the
// approvals page and its onboarding watched live; then the tenant is found in
// the table, suspended (its signed-in user sees the suspension page within the
// revocation window), reactivated, moved to another tier and offboarded with
// a typed confirmation that shows the export archive.
test('Root approves, suspends, reactivates, re-tiers and offboards a tenant', async ({ browser }) => {
  const co = await registerCompany('standard', 'console');

  const root = await (await browser.newContext()).newPage();
  await rootSignIn(root, '/admin/approvals');
  await expect(root).toHaveURL(/\/admin\/approvals$/);
  const waiting = root.getByRole('table', { name: 'Waiting for the first payment' });
  const row = waiting.getByTestId('approval-row').filter({ hasText: co.tenantId });
  await expect(row).toBeVisible();
  await row.getByRole('button', { name: `Approve ${co.company}` }).click();
  await expect(row).toBeHidden();

  // The tenant's page follows onboarding as it runs, to active.
  await root.goto(`/admin/tenants/${co.tenantId}`);
  await expect(root.getByRole('heading', { level: 1 })).toContainText(co.company);
  const steps = root.getByRole('list', { name: 'onboarding steps' }).getByRole('listitem');
  await expect(steps).not.toHaveCount(0);
  await expect(root.getByRole('heading', { level: 1 }).getByText('active', { exact: true })).toBeVisible({
    timeout: 60_000,
  });
  const total = await steps.count();
  await expect(root.locator('li[data-state="done"]')).toHaveCount(total);

  // The tenant's admin signs in and works.
  const user = await (await browser.newContext()).newPage();
  await firstSignIn(user, co.slug, co.email, co.company, `Console-Pass-${Date.now()}!`);

  // Search and sort in the tenants table.
  await root.goto('/admin/tenants');
  await root.getByRole('searchbox', { name: 'Search tenants' }).fill(co.tenantId);
  await expect(root).toHaveURL(new RegExp(`q=${co.tenantId}`));
  await expect(root.getByTestId('tenant-row')).toHaveCount(1);
  await expect(root.getByTestId('tenant-row')).toContainText('standard');
  await root.getByRole('searchbox', { name: 'Search tenants' }).fill('');
  await root.getByRole('button', { name: 'Tenant' }).click();
  await expect(root.getByRole('columnheader', { name: 'Tenant' })).toHaveAttribute('aria-sort', 'ascending');
  // The seeded tenants get their sort rows from the local hourly job (every
  // few seconds): reload until the page shows the server's order.
  await expect
    .poll(
      async () => {
        await root.reload();
        // read the rows once they are there, not the page still loading
        await root.getByTestId('tenant-row').first().waitFor();
        const names = await root.getByTestId('tenant-row').locator('td:first-child a').allTextContents();
        // The server orders by the lower-cased, space-collapsed name, byte by
        // byte (tenant.SearchKey), not by the browser's locale collation.
        const keys = names.map((n) => n.toLowerCase().trim().split(/\s+/).join(' '));
        return keys.length > 0 && keys.every((k, i) => i === 0 || keys[i - 1]! <= k);
      },
      { timeout: 30_000 },
    )
    .toBe(true);
  await root.getByTestId('tenant-row').filter({ hasText: co.tenantId }).getByRole('link').click();
  await expect(root).toHaveURL(new RegExp(`/admin/tenants/${co.tenantId}$`));

  // Suspend: the signed-in user is refused within the revocation window.
  await root.getByRole('button', { name: 'Suspend' }).click();
  const suspend = root.getByRole('dialog', { name: `Suspend ${co.company}` });
  await suspend.getByRole('button', { name: 'Suspend tenant' }).click();
  await expect(suspend.getByText('Say why')).toBeVisible();
  await suspend.getByLabel('Reason').fill('e2e: unpaid invoice');
  await suspend.getByRole('button', { name: 'Suspend tenant' }).click();
  await expect(suspend).toBeHidden();
  await expect(root.getByRole('heading', { level: 1 }).getByText('suspended')).toBeVisible();
  await expect(root.getByText('e2e: unpaid invoice').first()).toBeVisible();
  const suspendedAt = Date.now();
  await expect(async () => {
    await user.goto(`/w/${co.slug}/issues`);
    // Each attempt (a page load and the API's answer) gets the whole expect
    // timeout: a 4 s one can fail every attempt on a loaded machine.
    await expect(user.getByTestId('suspended')).toBeVisible();
  }).toPass({ timeout: 90_000, intervals: [1_000, 2_000] });
  test.info().annotations.push({ type: 'revocation', description: `${Date.now() - suspendedAt} ms` });

  // Reactivate, then move to Premium.
  await root.getByRole('button', { name: 'Reactivate' }).click();
  await expect(root.getByRole('heading', { level: 1 }).getByText('active', { exact: true })).toBeVisible();
  await root.getByRole('button', { name: 'Change tier' }).click();
  const tier = root.getByRole('dialog', { name: `Change the tier of ${co.company}` });
  await tier.getByLabel('New tier').selectOption('premium');
  await tier.getByRole('button', { name: 'Change tier' }).click();
  await expect(tier).toBeHidden();
  await expect(root.getByText('premium', { exact: true })).toBeVisible();

  // The audit log tells who did what.
  const audit = root.getByRole('table', { name: 'Audit log' });
  for (const action of ['tenant.approved', 'tenant.suspended', 'tenant.reactivated', 'tenant.tier_changed'])
    await expect(audit.getByText(action, { exact: true }).first()).toBeVisible();

  // Offboard: the button waits for the typed id; the archive is shown when done.
  await root.getByRole('button', { name: 'Offboard' }).click();
  const off = root.getByRole('dialog', { name: `Offboard ${co.company}` });
  const go = off.getByRole('button', { name: 'Export and delete' });
  await expect(go).toBeDisabled();
  await off.getByLabel(`Type ${co.tenantId} to confirm`).fill(co.tenantId.slice(0, -1));
  await expect(go).toBeDisabled();
  await off.getByLabel(`Type ${co.tenantId} to confirm`).fill(co.tenantId);
  await go.click();
  await expect(off).toBeHidden();
  await expect(root.getByRole('list', { name: 'offboarding steps' })).toBeVisible();
  await expect(root.getByTestId('archive')).toBeVisible({ timeout: 60_000 });
  await expect(root.getByRole('heading', { level: 1 }).getByText('deleted')).toBeVisible({ timeout: 30_000 });
});

test('a tenant user cannot sign in to the provider console', async ({ page }) => {
  await page.goto('/admin/signin');
  await page.getByLabel('Email').fill('owner@acme.test');
  await page.getByLabel('Password', { exact: true }).fill('Demo-Passw0rd!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The provider pool does not know tenant users.
  await expect(page.getByRole('alert')).toContainText('Incorrect email or password');
  await expect(page).toHaveURL(/\/admin\/signin/);
});
