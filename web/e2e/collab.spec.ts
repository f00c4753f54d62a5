import { expect, test } from '@playwright/test';
import { e2e } from './env';
import { apiCall, cognitoToken, expectAccessible, firstSignIn, mailTo, screenshots, signIn } from './helpers';

// The in-app inbox and notification email settings, and the Webhooks settings page
// (issue 14), on the seeded acme workspace.

test('a mention reaches the inbox: the bell counts it, opening it marks it read, all can be marked read', async ({
  page,
}) => {
  // The owner mentions the User on two new issues (set-up through the API).
  const owner = await cognitoToken('owner@acme.test');
  const stamp = Date.now().toString(36);
  const keys: string[] = [];
  for (const n of [1, 2]) {
    const issue = await apiCall('POST', '/v1/issues', owner, { title: `Inbox check ${stamp} #${n}` });
    expect(issue.status, JSON.stringify(issue.body)).toBe(201);
    keys.push(issue.body.key as string);
    const c = await apiCall('POST', `/v1/issues/${issue.body.id as string}/comments`, owner, {
      body: `@user could you look at this? (${stamp})`,
    });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
  }

  await signIn(page, 'acme', 'user@acme.test');
  const bell = page.getByTestId('inbox-bell').filter({ visible: true });
  // Notifications come from the change stream: the bell polls until they arrive.
  await expect(bell).toHaveAccessibleName(/Inbox, [2-9]\d* unread/, { timeout: 45_000 });
  await bell.click();
  await expect(page).toHaveURL(/\/w\/acme\/inbox$/);
  const mine = page.getByTestId('notification').filter({ hasText: stamp });
  await expect(mine).toHaveCount(2);
  await expect(mine.first()).toHaveAttribute('data-read', 'false');
  await expectAccessible(page, test.info(), 'inbox');
  await screenshots(page, 'inbox');

  // Opening one goes to its issue and marks it read.
  const unreadBefore = Number(/(\d+) unread/.exec((await bell.getAttribute('aria-label')) ?? '')?.[1]);
  await mine.filter({ hasText: keys[0]! }).getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/w/acme/issues/${keys[0]}$`));
  await expect(bell).toHaveAccessibleName(
    unreadBefore - 1 > 0 ? `Inbox, ${unreadBefore - 1} unread` : 'Inbox',
  );
  await bell.click();
  await expect(mine.filter({ hasText: keys[0]! })).toHaveAttribute('data-read', 'true');

  // The unread filter lives in the URL; "Mark all read" empties it.
  await page.getByRole('group', { name: 'Show' }).getByRole('button', { name: 'Unread' }).click();
  await expect(page).toHaveURL(/unread=1/);
  await expect(mine).toHaveCount(1);
  await page.getByRole('button', { name: 'Mark all read' }).click();
  await expect(page.getByText('Nothing unread')).toBeVisible();
  await expect(bell).toHaveAccessibleName('Inbox');
});

test('a mention in a comment is mailed to the person mentioned, and the local mail UI shows it', async ({
  page,
  browser,
}) => {
  test.setTimeout(240_000); // a first sign-in and the mail batching window, on a shared machine
  // B is a person of their own (so no other spec's mail joins their batch);
  // notification mail goes to active people, so B signs in once.
  const owner = await cognitoToken('owner@acme.test');
  const n = Date.now().toString(36);
  const handle = `mentioned-${n}`;
  const email = `${handle}@acme.test`;
  const invited = await apiCall('POST', '/v1/users', owner, { email, role: 'user' });
  expect(invited.status, JSON.stringify(invited.body)).toBe(201);
  const other = await browser.newContext();
  await firstSignIn(await other.newPage(), 'acme', email, 'Acme Corp', `Mention-Pass-${n}!`);
  await other.close();
  const issue = await apiCall('POST', '/v1/issues', owner, { title: `Mail UI check ${n}` });
  expect(issue.status, JSON.stringify(issue.body)).toBe(201);
  const key = issue.body.key as string;

  // A mentions B in a comment, in the browser.
  await signIn(page, 'acme', 'user@acme.test');
  await page.goto(`/w/acme/issues/${key}`);
  const said = `Could you check the totals, @${handle}? (${n})`;
  await page.getByRole('combobox', { name: 'New comment' }).fill(said);
  await page.getByRole('button', { name: 'Comment', exact: true }).click();
  await expect(page.getByTestId('comment')).toContainText(said);

  // The mail comes after the batching window (2 s for the browser suite,
  // ITR_NOTIFY_WINDOW in e2e/env.ts) and the mail job's next tick (5 s);
  // the API says when it is there.
  const mail = await mailTo(email, new RegExp(`^\\[Acme Corp\\] .+ mentioned you in ${key}$`), 90_000);
  expect(mail.text).toContain(said);

  // The local mail UI (mailpit's) lists it for B and shows it: subject,
  // the comment, the one-click unsubscribe link.
  const ui = await page.context().newPage();
  await ui.goto(`${e2e.mailAPI}/search?q=${encodeURIComponent(`to:"${email}"`)}`);
  const listed = ui.getByTestId('message-subject').filter({ hasText: `mentioned you in ${key}` });
  await expect(listed).toHaveCount(1);
  await listed.click();
  await expect(ui).toHaveURL(/\/view\//);
  // The message's header table (the list beside it shows the subject too).
  await expect(ui.getByRole('strong').filter({ hasText: mail.subject })).toBeVisible();
  const body = ui.frameLocator('#preview-html');
  await expect(body.getByText(said)).toBeVisible();
  await expect(body.locator(`a[href$="/w/acme/issues/${key}"]`).first()).toBeVisible();
  await expect(body.getByRole('link', { name: 'Unsubscribe from all notification mail' })).toHaveAttribute(
    'href',
    /\/v1\/notifications\/unsubscribe\?token=[^&\s]+$/,
  );
  await ui.close();
});

test('a member chooses which notifications also come by email', async ({ page }) => {
  await signIn(page, 'acme', 'admin@acme.test');
  await page.getByRole('button', { name: /account menu/ }).click();
  await page.getByRole('menuitem', { name: 'Notification email' }).click();
  await expect(page).toHaveURL(/\/w\/acme\/account\/notifications$/);
  const comments = page.getByLabel('Comments');
  await expect(comments).toBeVisible();
  await expectAccessible(page, test.info(), 'notification-settings');
  await comments.selectOption('daily');
  await page.getByLabel('Other changes').selectOption('immediately');
  await page.getByRole('button', { name: 'Save preferences' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Comments')).toHaveValue('daily');
  await expect(page.getByLabel('Other changes')).toHaveValue('immediately');
});

test('an Admin registers a webhook, sees its secret once, turns it off and on, rotates it and reads its deliveries', async ({
  page,
}) => {
  await signIn(page, 'acme', 'admin@acme.test');
  await page.goto('/w/acme/settings/webhooks');
  await expect(page.getByRole('heading', { name: 'Webhooks' })).toBeVisible();
  const url = `https://93.184.216.34/e2e-${Date.now().toString(36)}`;

  // Bad input is named next to its field and nothing is created.
  await page.getByRole('button', { name: 'New endpoint' }).click();
  const dialog = page.getByRole('dialog', { name: 'New webhook endpoint' });
  await dialog.getByLabel('URL').fill('https://169.254.169.254/latest/meta-data');
  await dialog.getByRole('button', { name: 'Register endpoint' }).click();
  await expect(dialog.getByRole('alert').first()).toBeVisible();
  await expectAccessible(page, test.info(), 'webhook-create');

  await dialog.getByLabel('URL').fill(url);
  await dialog.getByLabel('Description').fill('E2E receiver');
  await dialog.getByLabel(/Comment created/).check();
  await dialog.getByRole('button', { name: 'Register endpoint' }).click();
  const shown = page.getByRole('dialog', { name: 'Endpoint registered' });
  const secret = (await shown.getByTestId('webhook-secret').textContent()) ?? '';
  expect(secret).toMatch(/^whsec_/);
  await shown.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByTestId('webhook-secret')).toHaveCount(0);

  const row = page.getByTestId('webhook-row').filter({ hasText: url });
  await expect(row).toContainText('issue.created, comment.created');
  await expect(row).toContainText('enabled');
  await expectAccessible(page, test.info(), 'webhooks');
  await screenshots(page, 'webhooks');

  await row.getByRole('button', { name: /^Disable/ }).click();
  await expect(row).toContainText('disabled');
  await row.getByRole('button', { name: /^Enable/ }).click();
  await expect(row).toContainText('enabled');

  await row.getByRole('button', { name: /^Rotate secret/ }).click();
  const rotated = page.getByRole('dialog', { name: 'New signing secret' });
  const next = (await rotated.getByTestId('webhook-secret').textContent()) ?? '';
  expect(next).toMatch(/^whsec_/);
  expect(next).not.toBe(secret);
  await rotated.getByRole('button', { name: 'Done' }).click();

  // An event makes a delivery (the address is unreachable here, so it fails and retries); it can be sent again.
  const owner = await cognitoToken('owner@acme.test');
  const issue = await apiCall('POST', '/v1/issues', owner, { title: `Webhook check ${url}` });
  expect(issue.status).toBe(201);
  await row.getByRole('button', { name: /^Deliveries/ }).click();
  await expect(page).toHaveURL(/hook=/);
  const log = page.getByRole('region', { name: /Deliveries/ });
  await expect(async () => {
    await log.getByRole('button', { name: 'Refresh' }).click();
    await expect(log.getByTestId('delivery').first()).toBeVisible({ timeout: 5_000 }); // the refreshed list's fetch, under load
  }).toPass({ timeout: 90_000 });
  await expect(log.getByTestId('delivery').first()).toContainText('issue.created');
  await log
    .getByTestId('delivery')
    .first()
    .getByRole('button', { name: /^Redeliver/ })
    .click();
  await expect(log.getByText('Delivery queued.')).toBeVisible();
  await expectAccessible(page, test.info(), 'webhook-deliveries');

  // A User has no Webhooks page.
  const other = await page.context().browser()!.newContext();
  const userPage = await other.newPage();
  await signIn(userPage, 'acme', 'user@acme.test');
  await userPage.goto('/w/acme/settings/webhooks');
  await expect(userPage.getByTestId('forbidden')).toBeVisible();
  await other.close();
});
