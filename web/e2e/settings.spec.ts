import { expect, test, type Locator } from '@playwright/test';
import { DEMO_PASSWORD } from './env';
import { apiCall, cognitoToken, firstSignIn, registerCompany, signIn } from './helpers';

/** Waits until onboarding has made a registration active. */
async function active(tenantId: string, statusToken: string) {
  const path = `/v1/registrations/${tenantId}?token=${encodeURIComponent(statusToken)}`;
  await expect
    .poll(async () => (await apiCall('GET', path, undefined)).body.status, { timeout: 60_000 })
    .toBe('active');
}

test('a Super Admin invites a person who signs in; the seat limit is shown and enforced', async ({
  browser,
}) => {
  const co = await registerCompany('basic', 'seats');
  await active(co.tenantId, co.statusToken);
  const password = `Seats-Pass-${Date.now()}!`;
  const owner = await (await browser.newContext()).newPage();
  await firstSignIn(owner, co.slug, co.email, co.company, password);

  await owner.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Settings' }).click();
  await expect(owner).toHaveURL(new RegExp(`/w/${co.slug}/settings/people$`));
  await expect(owner.getByTestId('seats')).toContainText('1 of 10 seats');

  // Invite a person; they get the mail, sign in and land in the workspace.
  const invitee = `new-${Date.now().toString(36)}@${co.slug}.test`;
  await owner.getByRole('button', { name: 'Invite' }).click();
  const dialog = owner.getByRole('dialog', { name: 'Invite a person' });
  await dialog.getByLabel('Email').fill(invitee);
  await dialog.getByLabel('Name (optional)').fill('New Person');
  await dialog.getByLabel('Role').selectOption('admin');
  await dialog.getByRole('button', { name: 'Send invitation' }).click();
  await expect(dialog).toBeHidden();
  const row = owner.getByTestId('person-row').filter({ hasText: invitee });
  await expect(row).toBeVisible();
  await expect(row.getByLabel('Role of New Person')).toHaveValue('admin');
  await expect(owner.getByTestId('seats')).toContainText('2 of 10 seats');

  const other = await (await browser.newContext()).newPage();
  await firstSignIn(other, co.slug, invitee, co.company, `Invitee-Pass-${Date.now()}!`);
  await expect(other.getByTestId('workspace-name')).toHaveText(co.company);

  // Fill the plan's seats through the API, then the page says so and the server refuses one more.
  const token = await cognitoToken(co.email, password);
  for (let i = 0; i < 8; i++) {
    const r = await apiCall('POST', '/v1/users', token, {
      email: `filler-${i}@${co.slug}.test`,
      role: 'user',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  await owner.reload();
  await expect(owner.getByTestId('seats')).toContainText('10 of 10 seats');
  await expect(owner.getByText('Every seat of your plan is taken')).toBeVisible();
  await owner.getByRole('button', { name: 'Invite' }).click();
  await dialog.getByLabel('Email').fill(`one-too-many@${co.slug}.test`);
  await dialog.getByRole('button', { name: 'Send invitation' }).click();
  await expect(dialog.getByRole('alert')).toContainText(/user|seat|limit/i);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(owner.getByTestId('person-row')).toHaveCount(10);

  // Disabling a person is a click; they are refused at their next request.
  const filler = owner.getByTestId('person-row').filter({ hasText: 'filler-0@' });
  await filler.getByRole('button', { name: /^Disable/ }).click();
  await expect(filler.getByText('disabled')).toBeVisible();
});

test('an Admin manages teams and labels but cannot reach Super Admin screens by URL', async ({ page }) => {
  await signIn(page, 'acme', 'admin@acme.test');
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Settings' }).click();
  const nav = page.getByRole('navigation', { name: 'Settings' });
  await expect(nav.getByRole('link')).toHaveText([
    'People',
    'Teams',
    'Projects',
    'Workflows',
    'Custom fields',
    'Labels',
    'Import',
    'Audit log',
    'Webhooks',
  ]);
  // People: read-only for an Admin.
  await expect(page.getByRole('table', { name: 'People' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Invite' })).toHaveCount(0);
  await expect(page.getByLabel(/^Role of/)).toHaveCount(0);

  // Teams: create one and add a member.
  const team = `Platform ${Date.now().toString(36)}`;
  await nav.getByRole('link', { name: 'Teams' }).click();
  await page.getByRole('button', { name: 'New team' }).click();
  const td = page.getByRole('dialog', { name: 'New team' });
  await td.getByLabel('Name').fill(team);
  await td.getByLabel('Description').fill('Runs the platform');
  await td.getByRole('button', { name: 'Create team' }).click();
  await expect(td).toBeHidden();
  await page.getByLabel(`Add a member to ${team}`).selectOption({ label: 'user@acme.test' });
  await page.getByRole('region', { name: team }).getByRole('button', { name: 'Add' }).click();
  await expect(page.getByRole('list', { name: `Members of ${team}` })).toContainText('user@acme.test');

  // Labels: create one.
  const label = `needs-triage-${Date.now().toString(36)}`;
  await nav.getByRole('link', { name: 'Labels' }).click();
  await page.getByRole('button', { name: 'New label' }).click();
  const ld = page.getByRole('dialog', { name: 'New label' });
  await ld.getByLabel('Name').fill(label);
  await ld.getByRole('button', { name: '#30a46c' }).click();
  await ld.getByRole('button', { name: 'Create label' }).click();
  await expect(page.getByTestId('label-row').filter({ hasText: label })).toContainText('#30a46c');

  // Super Admin pages by URL: refused by the app, and by the API.
  for (const p of ['billing', 'branding', 'security', 'usage']) {
    await page.goto(`/w/acme/settings/${p}`);
    await expect(page.getByTestId('forbidden')).toContainText('for a Super Admin');
  }
  const token = await cognitoToken('admin@acme.test');
  expect((await apiCall('GET', '/v1/billing', token)).status).toBe(403);
  expect((await apiCall('PUT', '/v1/branding', token, { display_name: 'Pwned' })).status).toBe(403);

  // The audit log: an Admin reads it; exporting it is the Super Admin's (no button, and a 403 by URL).
  await nav.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('main', { name: 'Audit log' })).toBeVisible();
  await expect(page.getByRole('button', { name: /^Export/ })).toHaveCount(0);
  expect((await apiCall('GET', '/v1/audit', token)).status).toBe(200);
  expect((await apiCall('GET', '/v1/audit/export?format=csv', token)).status).toBe(403);
  // Root's console routes are Root's.
  expect((await apiCall('PUT', '/v1/admin/settings', token, { registration_open: false })).status).toBe(403);
});

test('a User sees no settings', async ({ page }) => {
  await signIn(page, 'acme', 'user@acme.test');
  await expect(
    page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Settings' }),
  ).toHaveCount(0);
  await page.goto('/w/acme/settings/people');
  await expect(page.getByTestId('forbidden')).toBeVisible();
  await page.goto('/w/acme/settings/audit');
  await expect(page.getByTestId('forbidden')).toBeVisible();
  expect((await apiCall('GET', '/v1/audit', await cognitoToken('user@acme.test'))).status).toBe(403);
});

// A 1×1 PNG.
const PNG_1PX =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

test('branding changes show in the workspace', async ({ page }) => {
  const token = await cognitoToken('owner@acme.test');
  const before = (await apiCall('GET', '/v1/branding', token)).body;
  try {
    await signIn(page, 'acme', 'owner@acme.test');
    await page.goto('/w/acme/settings/branding');
    await page.getByLabel('Workspace name').fill('Acme Rockets');
    await expect(page.getByTestId('preview-name')).toHaveText('Acme Rockets');
    await page.getByLabel('Accent colour', { exact: true }).fill('#0f7b6c');
    await expect(page.getByTestId('brand-preview')).toHaveAttribute('style', /--brand: #0f7b6c/);
    // The colour paints, not only the style attribute: with --color-brand in a plain @theme (resolved
    // once on :root, where --brand is unset) every workspace and preview stayed indigo.
    const paint = (l: Locator) => l.evaluate((e) => getComputedStyle(e).backgroundColor);
    await expect
      .poll(() => paint(page.getByTestId('brand-preview').getByText('New issue')))
      .toBe('rgb(15, 123, 108)');
    // The logo is uploaded (the CSP loads no image from other sites): an
    // SVG is refused in the form, a PNG shows in the preview.
    const logoInput = page.getByLabel('Logo', { exact: true });
    await logoInput.setInputFiles({
      name: 'logo.svg',
      mimeType: 'image/svg+xml',
      buffer: Buffer.from('<svg/>'),
    });
    await expect(page.getByText(/not SVG/)).toBeVisible();
    await logoInput.setInputFiles({
      name: 'logo.png',
      mimeType: 'image/png',
      buffer: Buffer.from(PNG_1PX, 'base64'),
    });
    await expect(page.getByTestId('preview-logo')).toHaveAttribute('src', `data:image/png;base64,${PNG_1PX}`);
    await page.getByRole('button', { name: 'Save branding' }).click();
    await expect(page.getByText('Saved.')).toBeVisible();
    await expect(page.getByTestId('workspace-name')).toHaveText('Acme Rockets');
    // Everyone sees it: another member's workspace after sign-in.
    const other = await (await page.context().browser()!.newContext()).newPage();
    const blocked: string[] = [];
    other.on('console', (m) => m.text().includes('Content Security Policy') && blocked.push(m.text()));
    const doc = other.waitForResponse(
      (r) => r.url().includes('/w/acme/signin') && r.request().resourceType() === 'document',
    );
    await signIn(other, 'acme', 'user@acme.test');
    // The policy loads images from the product only: no https: source.
    const img = / img-src ([^;]*)/.exec((await doc).headers()['content-security-policy'] ?? '')?.[1] ?? '';
    expect(img.split(' ')).toContain('data:');
    expect(img.split(' ')).not.toContain('https:');
    await expect(other.getByTestId('workspace-name')).toHaveText('Acme Rockets');
    const shown = other.getByTestId('workspace-logo');
    await expect(shown).toHaveAttribute('src', `data:image/png;base64,${PNG_1PX}`);
    await expect.poll(() => shown.evaluate((e: HTMLImageElement) => e.complete && e.naturalWidth)).toBe(1);
    expect(blocked, 'no image blocked by the CSP').toEqual([]);
    const shell = other.locator('[style*="--brand"]').first();
    await expect(shell).toHaveAttribute('style', /--brand: #0f7b6c/);
    await expect.poll(() => paint(other.locator('.bg-brand').first())).toBe('rgb(15, 123, 108)');
    // A logo on another site is refused by the API.
    const remote = await apiCall('PUT', '/v1/branding', token, {
      display_name: 'Acme Rockets',
      logo_url: 'https://cdn.example.com/l.png',
    });
    expect(remote.status).toBe(400);
  } finally {
    await apiCall('PUT', '/v1/branding', token, {
      display_name: before.display_name ?? 'Acme Corp',
      primary_color: before.primary_color ?? '',
      logo_url: before.logo_url || undefined,
    });
  }
});

test('analytics charts show the numbers the API returns', async ({ page }) => {
  const token = await cognitoToken('owner@acme.test', DEMO_PASSWORD);
  const start = (await apiCall('GET', '/v1/analytics/issues', token)).body.totals as { created: number };
  for (let i = 0; i < 3; i++) {
    const r = await apiCall('POST', '/v1/issues', token, { title: `Analytics sample ${i} ${Date.now()}` });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  // The figures follow the change stream within seconds.
  await expect
    .poll(
      async () =>
        ((await apiCall('GET', '/v1/analytics/issues', token)).body.totals as { created: number }).created,
      {
        timeout: 30_000,
      },
    )
    .toBeGreaterThanOrEqual(start.created + 3);

  await signIn(page, 'acme', 'owner@acme.test');
  // The numbers the page got: other specs add issues to acme meanwhile, so a
  // report read beside the page's could differ from it by their issues.
  const answered = page.waitForResponse(
    (r) => new URL(r.url()).pathname === '/v1/analytics/issues' && r.request().method() === 'GET',
  );
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Analytics' }).click();
  await expect(page).toHaveURL(/\/w\/acme\/analytics\/issues$/);
  const report = (await (await answered).json()) as {
    totals: { created: number; resolved: number };
    buckets: { start: string; created: number; resolved: number }[];
  };
  expect(report.totals.created).toBeGreaterThanOrEqual(start.created + 3);
  await expect(page.getByTestId('issue-totals')).toContainText(`Created${report.totals.created}`);
  const card = page.getByRole('region', { name: 'Created and resolved' });
  await card.getByText('Data').click();
  const rows = card.getByRole('table', { name: 'Created and resolved data' }).locator('tbody tr');
  await expect(rows).toHaveCount(report.buckets.length);
  const shown = (await rows.allInnerTexts()).map((t) => t.split('\t').map((s) => s.trim()));
  expect(shown).toEqual(
    report.buckets.map((b) => [b.start.slice(0, 10), String(b.created), String(b.resolved)]),
  );
  await expect(card.getByRole('link', { name: 'Created and resolved: download CSV' })).toHaveAttribute(
    'href',
    /^data:text\/csv/,
  );

  // Week buckets come from the URL.
  await page.getByLabel('Per').selectOption('week');
  await expect(page).toHaveURL(/bucket=week/);
  const weekly = (await apiCall('GET', '/v1/analytics/issues?bucket=week', token)).body as {
    buckets: unknown[];
  };
  await expect(rows).toHaveCount(weekly.buckets.length);
});
