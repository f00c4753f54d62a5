import { expect, test } from '@playwright/test';
import { createIssue, signIn } from './helpers';

// Two people edit the same issue: the second write carries a stale ETag,
// the API answers 412, and the app shows the other person's change and lets
// the user reapply theirs.
test('a 412 between two browser contexts shows their change and reapplies mine', async ({ browser }) => {
  const alice = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  await signIn(alice, 'acme', 'owner@acme.test');
  const key = await createIssue(alice, `Conflict ${Date.now()}`);

  await signIn(bob, 'acme', 'admin@acme.test');
  await bob.goto(`/w/acme/issues/${key}`);
  await alice.goto(`/w/acme/issues/${key}`);
  await expect(bob.getByRole('heading', { level: 1 })).toContainText('Conflict');

  // Alice raises the priority first.
  await alice.getByRole('button', { name: /^Priority:/ }).click();
  await alice.getByRole('menuitemradio', { name: 'Urgent' }).click();
  await expect(alice.getByRole('button', { name: 'Priority: Urgent' })).toBeVisible();

  // Bob, still on version 1, changes the type: 412.
  await bob.getByRole('button', { name: /^Type:/ }).click();
  await bob.getByRole('menuitemradio', { name: 'Bug' }).click();
  const banner = bob.getByTestId('conflict');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('priority → urgent');
  await expect(banner).toContainText('type → bug');
  // The page now shows Alice's version, without Bob's unsaved change.
  await expect(bob.getByRole('button', { name: 'Priority: Urgent' })).toBeVisible();
  await expect(bob.getByRole('button', { name: 'Type: Task' })).toBeVisible();

  await banner.getByRole('button', { name: 'Reapply my change' }).click();
  await expect(banner).toBeHidden();
  await expect(bob.getByRole('button', { name: 'Type: Bug' })).toBeVisible();

  // Both changes are saved.
  await alice.reload();
  await expect(alice.getByRole('button', { name: 'Priority: Urgent' })).toBeVisible();
  await expect(alice.getByRole('button', { name: 'Type: Bug' })).toBeVisible();
});
