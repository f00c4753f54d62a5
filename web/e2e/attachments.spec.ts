import { expect, test } from '@playwright/test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { PHONE } from './env';
import { apiCall, cognitoToken, expectAccessible, screenshots, signIn } from './helpers';

// Attachments on the issue page (issue 14's "attach a screenshot to an issue and download it"),
// on the seeded acme workspace: the browser declares the file, PUTs it to the local S3 through
// the presigned request, the platform confirms it; downloads go through the gateway's /files.

// A real 1x1 PNG (the platform checks the bytes are an image, and the thumbnail must decode).
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** Attaches a file as another person would, through the API and the presigned PUT. */
async function attachThroughAPI(token: string, issueId: string, filename: string, body: Buffer) {
  const sha256 = crypto.createHash('sha256').update(body).digest('base64');
  const up = await apiCall('POST', `/v1/issues/${issueId}/attachments`, token, {
    filename,
    content_type: 'image/png',
    size: body.length,
    sha256,
  });
  expect(up.status, JSON.stringify(up.body)).toBe(201);
  const put = await fetch(up.body.url as string, {
    method: 'PUT',
    headers: up.body.headers as Record<string, string>,
    body: new Uint8Array(body),
  });
  expect(put.status, await put.text()).toBe(200);
  const id = (up.body.attachment as { id: string }).id;
  const ok = await apiCall('POST', `/v1/issues/${issueId}/attachments/${id}/confirm`, token);
  expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  return id;
}

test('a member attaches a screenshot, sees its thumbnail, downloads it and deletes it; a disallowed type is refused', async ({
  page,
}) => {
  const stamp = Date.now().toString(36);
  const user = await cognitoToken('user@acme.test');
  const issue = await apiCall('POST', '/v1/issues', user, { title: `Attachments ${stamp}` });
  expect(issue.status, JSON.stringify(issue.body)).toBe(201);
  const key = issue.body.key as string;
  const issueId = issue.body.id as string;
  const me = (await apiCall('GET', '/v1/me', user)).body.user as { display_name?: string; email: string };
  const uploader = me.display_name || me.email;
  // Someone else's file on the same issue: listed for everyone, deletable only by them or an Admin.
  const owner = await cognitoToken('owner@acme.test');
  await attachThroughAPI(owner, issueId, `owner-${stamp}.png`, PNG);

  await signIn(page, 'acme', 'user@acme.test');
  await page.goto(`/w/acme/issues/${key}`);
  const section = page.getByTestId('attachments');
  const theirs = section.getByTestId('attachment').filter({ hasText: `owner-${stamp}.png` });
  await expect(theirs).toBeVisible();
  await expect(theirs.getByRole('button', { name: `Download owner-${stamp}.png` })).toBeVisible();
  await expect(theirs.getByRole('button', { name: /^Delete/ })).toHaveCount(0);

  // Attach from the keyboard: the Attach button opens the file chooser.
  const name = `shot-${stamp}.png`;
  await section.getByRole('button', { name: 'Attach files to the issue' }).focus();
  const chooser = page.waitForEvent('filechooser');
  await page.keyboard.press('Enter');
  await (await chooser).setFiles({ name, mimeType: 'image/png', buffer: PNG });

  const mine = section.getByTestId('attachment').filter({ hasText: name });
  await expect(mine).toBeVisible();
  await expect(mine).toContainText(`${PNG.length} B`);
  await expect(mine).toContainText('image/png');
  await expect(mine).toContainText(uploader);
  const thumb = mine.getByRole('img', { name: `Preview of ${name}` });
  await expect(thumb).toBeVisible();
  await expect.poll(() => thumb.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(1);
  await expect(page.getByRole('status').filter({ hasText: `Attached ${name}.` })).toBeAttached();

  // The list survives a reload (the platform confirmed it).
  await page.reload();
  await expect(mine).toBeVisible();
  await expectAccessible(page, test.info(), 'issue-attachments');
  await screenshots(page, 'issue-attachments');

  // Download: the same bytes, served inline (an image) with nosniff.
  const dl = page.waitForEvent('download');
  await mine.getByRole('button', { name: `Download ${name}` }).click();
  const download = await dl;
  expect(download.suggestedFilename()).toBe(name);
  expect(fs.readFileSync((await download.path())!).equals(PNG)).toBe(true);
  expect(new URL(download.url()).pathname).toMatch(/^\/files\//);
  const served = await page.request.get(download.url());
  expect(served.status()).toBe(200);
  expect(served.headers()['content-disposition']).toBe(`inline; filename=${name}`);
  expect(served.headers()['content-type']).toBe('image/png');
  expect(served.headers()['x-content-type-options']).toBe('nosniff');
  expect((await served.body()).equals(PNG)).toBe(true);

  // A type outside the allowlist is refused with the API's reason, and nothing is listed.
  await section
    .getByTestId('attach-input')
    .setInputFiles({ name: `logo-${stamp}.svg`, mimeType: 'image/svg+xml', buffer: Buffer.from('<svg/>') });
  const refusal = section.getByRole('alert').filter({ hasText: `logo-${stamp}.svg` });
  await expect(refusal).toContainText('cannot be attached: the type image/svg+xml is not an allowed type');
  await expect(section.getByTestId('attachment')).toHaveCount(2);
  await expectAccessible(page, test.info(), 'issue-attachment-refused');
  await section.getByRole('button', { name: `Dismiss the message about logo-${stamp}.svg` }).click();
  await expect(refusal).toHaveCount(0);

  // Delete, after a confirmation; the API no longer lists it.
  await mine.getByRole('button', { name: `Delete ${name}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete attachment?' });
  await expect(dialog).toContainText(name);
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(dialog).toBeHidden();
  await expect(mine).toHaveCount(0);
  const left = await apiCall('GET', `/v1/issues/${issueId}/attachments`, user);
  expect((left.body.items as { filename: string }[]).map((a) => a.filename)).toEqual([`owner-${stamp}.png`]);
});

test('at phone width the attachments section fits and still attaches', async ({ page }) => {
  const user = await cognitoToken('user@acme.test');
  const issue = await apiCall('POST', '/v1/issues', user, {
    title: `Phone attach ${Date.now().toString(36)}`,
  });
  expect(issue.status).toBe(201);
  await signIn(page, 'acme', 'user@acme.test');
  await page.setViewportSize(PHONE);
  await page.goto(`/w/acme/issues/${issue.body.key as string}`);
  const section = page.getByTestId('attachments');
  await section
    .getByTestId('attach-input')
    .setInputFiles({ name: 'phone.png', mimeType: 'image/png', buffer: PNG });
  const item = section.getByTestId('attachment').filter({ hasText: 'phone.png' });
  await expect(item.getByRole('img', { name: 'Preview of phone.png' })).toBeVisible();
  const box = await section.boundingBox();
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  await expect(item.getByRole('button', { name: 'Download phone.png' })).toBeInViewport();
  await expectAccessible(page, test.info(), 'issue-attachments-phone');
});

test("a comment's author attaches a file to the comment; it is listed under the comment, not the issue", async ({
  page,
}) => {
  const stamp = Date.now().toString(36);
  const user = await cognitoToken('user@acme.test');
  const issue = await apiCall('POST', '/v1/issues', user, { title: `Comment attach ${stamp}` });
  expect(issue.status).toBe(201);
  const c = await apiCall('POST', `/v1/issues/${issue.body.id as string}/comments`, user, {
    body: `See the log ${stamp}`,
  });
  expect(c.status, JSON.stringify(c.body)).toBe(201);
  await signIn(page, 'acme', 'user@acme.test');
  await page.goto(`/w/acme/issues/${issue.body.key as string}`);
  const comment = page.getByTestId('comment').filter({ hasText: `See the log ${stamp}` });
  const chooser = page.waitForEvent('filechooser');
  await comment.getByRole('button', { name: 'Attach files to this comment' }).click();
  await (
    await chooser
  ).setFiles({
    name: `log-${stamp}.txt`,
    mimeType: 'text/plain',
    buffer: Buffer.from('line one\nline two\n'),
  });
  const item = comment.getByTestId('attachment').filter({ hasText: `log-${stamp}.txt` });
  await expect(item).toContainText('text/plain');
  await expect(item.getByRole('img')).toHaveCount(0); // not an image: no preview
  await expect(page.getByTestId('attachments').getByTestId('attachment')).toHaveCount(0);
  const listed = await apiCall('GET', `/v1/issues/${issue.body.id as string}/attachments`, user);
  expect((listed.body.items as { comment_id?: string }[]).map((a) => a.comment_id)).toEqual([c.body.id]);
  // A text file downloads as an attachment.
  const dl = page.waitForEvent('download');
  await item.getByRole('button', { name: `Download log-${stamp}.txt` }).click();
  const served = await page.request.get((await dl).url());
  expect(served.headers()['content-disposition']).toBe(`attachment; filename=log-${stamp}.txt`);
  await expectAccessible(page, test.info(), 'comment-attachments');
});
