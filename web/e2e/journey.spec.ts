import { expect, test, type Page } from '@playwright/test';
import { e2e } from './env';
import { mailTo } from './helpers';

// The whole journey of a new company, as a person does it: sign up, verify
// the email with the mailed code, follow onboarding to active, sign in with
// the mailed temporary password and choose a password, create an issue,
// move it on the board, comment with a mention, find it by search, sign out.
test('a new company signs up and runs its first issue end to end', async ({ page }) => {
  const n = Date.now().toString(36);
  const company = `Journey ${n}`;
  const slug = `journey-${n}`;
  const email = `founder-${n}@journey.test`;
  const password = `Str0ng-Pass-${n}!`;

  // Sign up.
  await page.goto('/');
  await page.getByRole('link', { name: 'Create your workspace' }).click();
  await page.getByLabel('Company name').fill(company);
  await expect(page.getByLabel('Workspace address')).toHaveValue(slug);
  await expect(page.getByText('Available')).toBeVisible();
  await page.getByLabel('Your work email').fill(email);
  await page.getByRole('radio', { name: /Basic/ }).click();
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page).toHaveURL(new RegExp(`/signup/${slug}/status$`));

  // Verify the email with the mailed code.
  const verification = await mailTo(email, /^Verify your email for IssueTracker$/);
  const code = /\b(\d{6})\b/.exec(verification.text)?.[1];
  expect(code, verification.text).toBeTruthy();

  // The same mail is in the local mail catcher's web UI (mailpit, built with
  // its UI by scripts/install-mailpit.sh; a blank page without it).
  const mailUI = await page.context().newPage();
  await mailUI.goto(`${e2e.mailAPI}/search?q=${encodeURIComponent(`to:"${email}"`)}`);
  await expect(mailUI.getByText('Verify your email for IssueTracker').first()).toBeVisible();
  await mailUI.close();
  await page.getByLabel('Verification code').fill(code!);
  await page.getByRole('button', { name: 'Verify email' }).click();

  // Onboarding runs to active; the page says what comes next.
  await expect(page.getByTestId('registration-status')).toHaveText('Your workspace is ready.', {
    timeout: 60_000,
  });
  await expect(page.getByRole('list', { name: 'Onboarding steps' }).getByRole('listitem')).not.toHaveCount(0);

  // The invitation holds a temporary password and the workspace's sign-in link.
  const invite = await mailTo(email, new RegExp(`^You're invited to ${company} on IssueTracker$`));
  const temp = /Temporary password:\s*(\S+)/.exec(invite.text)?.[1];
  const link = /(https?:\/\/\S+\/w\/\S+\/signin)/.exec(invite.text)?.[1];
  expect(temp, invite.text).toBeTruthy();
  expect(link).toContain(`/w/${slug}/signin`);

  // First sign-in: the temporary password, then a password of one's own.
  await page.getByRole('link', { name: 'Go to your workspace sign-in' }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/signin`));
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(temp!);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
  // The pool's policy (from the workspace lookup) is checked before Cognito:
  // cognito-local would take any password, AWS refuses one under 12 characters.
  await page.getByLabel('New password', { exact: true }).fill('Passw0rd!');
  await page.getByLabel('Confirm new password').fill('Passw0rd!');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(page.getByText('The password needs at least 12 characters.')).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/signin`));
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Confirm new password').fill(password);
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/issues$`));
  await expect(page.getByTestId('workspace-name')).toHaveText(company);
  await expect(page.getByText('No issues yet')).toBeVisible();

  // Create an issue with the keyboard.
  await page.keyboard.press('c');
  const dialog = page.getByRole('dialog', { name: 'New issue' });
  await dialog.getByLabel('Title').fill('Checkout rejects valid coupons');
  await dialog.getByLabel('Description').fill('Coupon **SPRING** fails with *invalid code*.');
  await dialog.getByRole('button', { name: 'Create issue' }).click();
  await expect(dialog).toBeHidden();
  const row = page.getByTestId('issue-row').filter({ hasText: 'Checkout rejects valid coupons' });
  await expect(row).toBeVisible();
  const key = (await row.locator('span.font-mono').textContent())!.trim();

  // Move it on the board: Open -> In progress (only allowed columns accept it).
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Board' }).click();
  const card = page.getByTestId('card').filter({ hasText: key });
  await expect(page.getByTestId('column-open').getByTestId('card')).toHaveCount(1);
  const moved = page.waitForResponse(
    (r) => r.url().endsWith('/transitions') && r.request().method() === 'POST',
  );
  await drag(page, card, page.getByTestId('column-in_progress'));
  expect((await moved).status(), 'the API accepts the move').toBe(200);
  await expect(
    page.getByTestId('column-in_progress').getByTestId('card').filter({ hasText: key }),
  ).toBeVisible();
  // The server agrees: the issue page shows the new status after a reload.
  await page.goto(`/w/${slug}/issues/${key}`);
  await expect(page.getByRole('button', { name: 'Status: In progress' })).toBeVisible();

  // Comment with an @mention picked from the autocomplete.
  const box = page.getByRole('combobox', { name: 'New comment' });
  await box.fill('Reproduced. ');
  await box.press('End');
  await box.pressSequentially('@found');
  await expect(page.getByRole('option', { name: new RegExp(`founder-${n}`) })).toBeVisible();
  await box.press('Enter');
  await box.pressSequentially('can you take it?');
  await expect(box).toHaveValue(`Reproduced. @founder-${n} can you take it?`);
  await page.getByRole('button', { name: 'Comment', exact: true }).click();
  await expect(page.getByTestId('comment')).toContainText(`@founder-${n} can you take it?`);

  // Find it by search, from anywhere with "/".
  await page
    .getByRole('navigation', { name: 'Workspace' })
    .getByRole('link', { name: 'Issues', exact: true })
    .click();
  await page.keyboard.press('/');
  await expect(page.getByRole('searchbox', { name: 'Search issues' })).toBeFocused();
  await page.keyboard.type('coupon');
  await expect(page).toHaveURL(/q=coupon/);
  await expect(page.getByTestId('issue-row')).toHaveCount(1);
  await expect(page.getByTestId('issue-row')).toContainText(key);

  // Sign out: the workspace asks to sign in again and says why.
  await page.getByRole('button', { name: /account menu/ }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/signin\\?signedout=1$`));
  await expect(page.getByRole('status').filter({ hasText: 'You signed out.' })).toBeVisible();
  await page.goto(`/w/${slug}/board`);
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/signin\\?next=%2Fw%2F${slug}%2Fboard`));
});

async function drag(page: Page, from: ReturnType<Page['locator']>, to: ReturnType<Page['locator']>) {
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 10, a.y + a.height / 2 + 5, { steps: 3 });
  await page.mouse.move(b.x + b.width / 2, b.y + 80, { steps: 12 });
  await page.mouse.up();
}
