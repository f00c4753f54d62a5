import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, type TestInfo } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_PASSWORD, DESKTOP, PHONE, e2e } from './env';

/** Signs in through the workspace's sign-in page, as a person would. */
export async function signIn(page: Page, slug: string, email: string, password = DEMO_PASSWORD) {
  await page.goto(`/w/${slug}/signin`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('me-email')).toBeVisible();
}

/** Creates an issue with the create dialog (c) and returns its key. */
export async function createIssue(page: Page, title: string, description = ''): Promise<string> {
  await page.keyboard.press('c');
  const dialog = page.getByRole('dialog', { name: 'New issue' });
  await dialog.getByLabel('Title').fill(title);
  if (description) await dialog.getByLabel('Description').fill(description);
  await dialog.getByRole('button', { name: 'Create issue' }).click();
  await expect(dialog).toBeHidden();
  const toast = page.getByRole('status').filter({ hasText: 'Created' });
  const text = (await toast.textContent()) ?? '';
  const key = /([A-Z0-9]+-\d+)/.exec(text)?.[1];
  expect(key, `created toast: ${text}`).toBeTruthy();
  return key!;
}

interface RuntimeConfig {
  cognito_endpoint?: string;
  region: string;
  provider_client_id: string;
  tenant_client_id: string;
}

async function config(): Promise<RuntimeConfig> {
  const r = await fetch(`${e2e.baseURL}/config.json`);
  return (await r.json()) as RuntimeConfig;
}

/** An ID token from Cognito's USER_PASSWORD_AUTH (for test set-up through the API only). */
export async function cognitoToken(
  email: string,
  password = DEMO_PASSWORD,
  provider = false,
): Promise<string> {
  const c = await config();
  const endpoint = c.cognito_endpoint ?? `https://cognito-idp.${c.region}.amazonaws.com`;
  const r = await fetch(endpoint + '/', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    },
    body: JSON.stringify({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: provider ? c.provider_client_id : c.tenant_client_id,
      AuthParameters: { USERNAME: email, PASSWORD: password },
    }),
  });
  const body = (await r.json()) as { AuthenticationResult?: { IdToken: string } };
  if (!body.AuthenticationResult) throw new Error(`sign-in of ${email} failed: ${JSON.stringify(body)}`);
  return body.AuthenticationResult.IdToken;
}

/** Calls the API with a token (test set-up and Root's actions, never the browser's session). */
export async function apiCall(method: string, p: string, token: string | undefined, body?: unknown) {
  const r = await fetch(e2e.baseURL + p, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/**
 * Runs axe-core on the page: no serious or critical violation. Every rule
 * of the tags runs; only the violations are aggregated in full (axe's
 * resultTypes: passes and the rest keep one node each), which is all this
 * check reads and attaches, and saves axe building selectors for them.
 *
 * Legacy mode: one axe.run inside the page. The default injects axe into
 * every frame, runs axe.runPartial there and opens a blank page of the
 * context for axe.finishRun, for every check; the app has no frames (a
 * cross-origin one would go untested here, and axe's frame-tested rule
 * would name it). The same pages, alternating the two ways against one
 * platform (load average 15-18, 2026-12-03, branch ctime11): 1.9-2.9 s of
 * Playwright's and Chromium's CPU per check before, 0.9-1.2 s in legacy
 * mode, the same violations found.
 */
export async function expectAccessible(page: Page, info: TestInfo, name: string) {
  const r = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .options({ resultTypes: ['violations'] })
    .setLegacyMode()
    .analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  await info.attach(`axe-${name}.json`, {
    body: JSON.stringify(r.violations, null, 2),
    contentType: 'application/json',
  });
  expect(
    bad.map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
    ),
    `${name}: axe violations`,
  ).toEqual([]);
}

const shots = path.resolve(import.meta.dirname, '..', 'artifacts', 'screenshots');

/**
 * Sets the viewport unless it already has that size, then waits until the
 * page has laid out at it (two animation frames: resize listeners have run
 * and their render is painted) rather than a fixed pause.
 */
async function resize(page: Page, size: { width: number; height: number }) {
  const now = page.viewportSize();
  if (now?.width === size.width && now.height === size.height) return;
  await page.setViewportSize(size);
  await page.evaluate(
    () => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))),
  );
}

/** Saves screenshots at desktop and phone width (artifacts, not golden images). */
export async function screenshots(page: Page, name: string) {
  fs.mkdirSync(shots, { recursive: true });
  const vp = page.viewportSize() ?? DESKTOP;
  await resize(page, DESKTOP);
  await page.screenshot({ path: path.join(shots, `${name}-desktop.png`) });
  await resize(page, PHONE);
  await page.screenshot({ path: path.join(shots, `${name}-phone.png`) });
  await resize(page, vp);
}

/** The newest mail to an address, from the local mail catcher (mailpit's API). */
export async function mailTo(
  address: string,
  subject: RegExp,
  timeoutMs = 30_000,
): Promise<{ subject: string; text: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await fetch(
      `${e2e.mailAPI}/api/v1/search?query=${encodeURIComponent(`to:"${address}"`)}`,
    ).catch((e: Error) => {
      last = e.message;
      return undefined;
    });
    if (r?.ok) {
      const list = (await r.json()) as { messages?: { ID: string; Subject: string }[] };
      const m = list.messages?.find((x) => subject.test(x.Subject));
      if (m) {
        const full = (await (await fetch(`${e2e.mailAPI}/api/v1/message/${m.ID}`)).json()) as {
          Text: string;
          Subject: string;
        };
        return { subject: full.Subject, text: full.Text };
      }
      last = `no mail matching ${subject} yet (${list.messages?.length ?? 0} to ${address})`;
    } else if (r) {
      last = `mailpit answered ${r.status}`;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`no mail to ${address} matching ${subject} within ${timeoutMs} ms: ${last}`);
}

/**
 * Registers a company through the API and verifies its admin email with the mailed code;
 * `statusToken` reads its registration (GET /v1/registrations/{id}?token=...).
 */
export async function registerCompany(tier: 'basic' | 'standard' | 'premium' | 'platinum', prefix = 'co') {
  const n = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  const slug = `${prefix}-${n}`;
  const email = `admin-${n}@${prefix}.test`;
  const company = `${prefix[0]!.toUpperCase()}${prefix.slice(1)} ${n}`;
  const r = await apiCall('POST', '/v1/registrations', undefined, {
    company_name: company,
    slug,
    admin_email: email,
    tier,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  const tenantId = String(r.body.tenant_id);
  const statusToken = String(r.body.status_token);
  const mail = await mailTo(email, /^Verify your email for IssueTracker$/);
  const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
  const v = await apiCall(
    'POST',
    `/v1/registrations/${tenantId}/verify?token=${encodeURIComponent(statusToken)}`,
    undefined,
    { code },
  );
  expect(v.status, JSON.stringify(v.body)).toBe(200);
  return { slug, email, company, tenantId, statusToken };
}

/** First sign-in of an invited person: the mailed temporary password, then a password of their own. */
export async function firstSignIn(
  page: Page,
  slug: string,
  email: string,
  company: string,
  password: string,
) {
  const invite = await mailTo(email, new RegExp(`^You're invited to ${company} on IssueTracker$`));
  const temp = /Temporary password:\s*(\S+)/.exec(invite.text)?.[1];
  expect(temp, invite.text).toBeTruthy();
  await page.goto(`/w/${slug}/signin`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(temp!);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Confirm new password').fill(password);
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(page.getByTestId('me-email')).toBeVisible();
}

/** Root signs in to the provider console (from whatever console URL the page is on). */
export async function rootSignIn(page: Page, path = '/admin') {
  await page.goto(path);
  await expect(page).toHaveURL(/\/admin\/signin\?next=/);
  await page.getByLabel('Email').fill('root@issuetracker.local');
  await page.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('root-email')).toHaveText('root@issuetracker.local');
}
