import { expect, test, type Page } from '@playwright/test';
import crypto from 'node:crypto';
import { apiCall, cognitoToken, signIn } from './helpers';

// Stored XSS, as an attacker inside a workspace would try it: every text a member can store and
// others see (issue title and description, a comment, a label, a project, an attachment's file
// name, a saved view's name) carries payloads that run script if the page ever renders them as
// HTML, a javascript: link or an event handler. Each page that shows them must show the text as
// text and run nothing: no dialog, no global set by a payload, no <script>/<img onerror> in the DOM.

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

const payload = (n: string) =>
  `<img src=x onerror="window.__xss='${n}'"><script>window.__xss='${n}'</script>`;

async function expectNothingRan(page: Page, where: string) {
  expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss), where).toBeUndefined();
  expect(
    await page.locator('img[onerror], script:not([src]), svg[onload], a[href^="javascript:" i]').count(),
    where,
  ).toBe(0);
}

test('what members store is shown as text and runs nothing, on every page that shows it', async ({
  page,
}) => {
  const stamp = Date.now().toString(36);
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const owner = await cognitoToken('owner@acme.test');
  const user = await cognitoToken('user@acme.test');

  const project = await apiCall('POST', '/v1/projects', owner, {
    key: `X${stamp.slice(-6).toUpperCase()}`,
    name: `<img src=x onerror=__xss=1>p${stamp}`,
  });
  expect(project.status, JSON.stringify(project.body)).toBe(201);
  const label = await apiCall('POST', '/v1/labels', owner, { name: `<b onmouseover=alert(1)>l${stamp}` });
  expect(label.status, JSON.stringify(label.body)).toBe(201);
  const title = `${payload('title')} ${stamp}`;
  const issue = await apiCall('POST', '/v1/issues', user, {
    title,
    labels: [label.body.id],
    description: [
      payload('description'),
      `[click me ${stamp}](javascript:window.__xss='md-link')`,
      `<a href="javascript:window.__xss='html-link'">html link</a>`,
      `![img](x" onerror="window.__xss='md-img')`,
      `<svg onload="window.__xss='svg'"></svg>`,
      `<iframe srcdoc="<script>parent.__xss='iframe'</script>"></iframe>`,
    ].join('\n\n'),
  });
  expect(issue.status, JSON.stringify(issue.body)).toBe(201);
  const key = issue.body.key as string;
  const issueId = issue.body.id as string;
  const comment = await apiCall('POST', `/v1/issues/${issueId}/comments`, user, {
    body: `${payload('comment')}\n\n<details open ontoggle="window.__xss='toggle'">x</details>\n\nc${stamp}`,
  });
  expect(comment.status, JSON.stringify(comment.body)).toBe(201);
  const filename = `"><img src=x onerror="window.__xss='file'">${stamp}.png`;
  const up = await apiCall('POST', `/v1/issues/${issueId}/attachments`, user, {
    filename,
    content_type: 'image/png',
    size: PNG.length,
    sha256: crypto.createHash('sha256').update(PNG).digest('base64'),
  });
  expect(up.status, JSON.stringify(up.body)).toBe(201);
  const put = await fetch(up.body.url as string, {
    method: 'PUT',
    headers: up.body.headers as Record<string, string>,
    body: new Uint8Array(PNG),
  });
  expect(put.status, await put.text()).toBe(200);
  const confirmed = await apiCall(
    'POST',
    `/v1/issues/${issueId}/attachments/${(up.body.attachment as { id: string }).id}/confirm`,
    user,
  );
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  const view = await apiCall('POST', '/v1/views', owner, {
    name: `<img src=x onerror=alert(1)>v${stamp}`,
    visibility: 'shared',
  });
  expect(view.status, JSON.stringify(view.body)).toBe(201);

  await signIn(page, 'acme', 'owner@acme.test');
  await page.goto(`/w/acme/issues/${key}`);
  await expect(page.getByText(title).first()).toBeVisible();
  await expect(page.getByText(`c${stamp}`)).toBeVisible();
  await expect(page.getByTestId('attachments').getByText(filename)).toBeVisible();
  await expect(page.getByText(`click me ${stamp}`)).toBeVisible();
  await expectNothingRan(page, 'issue page');

  await page.goto(`/w/acme/issues?q=${stamp}`);
  await expect(page.getByText(title).first()).toBeVisible();
  await expectNothingRan(page, 'issue list');

  await page.goto('/w/acme/board');
  await page.waitForLoadState('networkidle');
  await expectNothingRan(page, 'board');

  await page.goto('/w/acme/settings/projects');
  await expect(page.getByText(`<img src=x onerror=__xss=1>p${stamp}`).first()).toBeVisible();
  await expectNothingRan(page, 'projects');

  await page.goto('/w/acme/settings/labels');
  await page.waitForLoadState('networkidle');
  await expectNothingRan(page, 'labels');
  expect(dialogs, 'no alert, confirm or prompt opened').toEqual([]);
});
