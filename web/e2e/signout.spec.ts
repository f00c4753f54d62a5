import { expect, test } from '@playwright/test';
import { firstSignIn, registerCompany, signIn } from './helpers';

// Signing out in one browser ends the person's sessions in every other
// browser too (POST /v1/me/sign-out: the authorizer refuses every token of
// a session signed in before it, within its 30 s revocation delay; the
// refresh token is revoked, and a refreshed token keeps its auth_time).
// A company of its own: signing out everywhere would end the shared demo
// logins of the specs running beside this one.
test('signing out in one browser ends the session in another', async ({ browser }) => {
  const co = await registerCompany('basic', 'signout');
  const password = 'Own-Passw0rd!x';
  const laptop = await (await browser.newContext()).newPage();
  await firstSignIn(laptop, co.slug, co.email, co.company, password);
  const phone = await (await browser.newContext()).newPage();
  await signIn(phone, co.slug, co.email, password);
  await expect(phone.getByTestId('me-email')).toHaveText(co.email);

  await laptop.getByRole('button', { name: /account menu/ }).click();
  await laptop.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(laptop).toHaveURL(new RegExp(`/w/${co.slug}/signin\\?signedout=1$`));
  // The sign-in page says what happened, and that it reaches the other browsers.
  await expect(laptop.getByRole('status').filter({ hasText: 'You signed out.' })).toContainText(
    'other browsers and devices end within 30 seconds',
  );

  // The other browser still holds unexpired tokens; the API refuses them
  // once the revocation delay has passed, and the app asks to sign in.
  await expect
    .poll(
      async () => {
        await phone.goto(`/w/${co.slug}/issues`);
        await phone.waitForLoadState('networkidle');
        return new URL(phone.url()).pathname;
      },
      { timeout: 60_000, intervals: [2_000, 5_000] },
    )
    .toBe(`/w/${co.slug}/signin`);
  // The other browser says its session ended, not that it signed out.
  await expect(phone.getByText('Your session has ended.')).toBeVisible();
  await expect(phone.getByText('You signed out.')).toBeHidden();
  // Signing in again there works: a new session.
  await signIn(phone, co.slug, co.email, password);
  await expect(phone.getByTestId('me-email')).toHaveText(co.email);
});
