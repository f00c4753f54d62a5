// Performance figures of the web app (measured, not asserted; `make web-perf`
// with `make dev` running). Prints:
//  1. initial JavaScript per area, gzip: the scripts Chromium loads to show
//     the landing page, the sign-in page and the issue list (sizes of the
//     built files in web/dist, gzipped as CloudFront serves them);
//  2. the issue list's first render after sign-in with >= 1,000 issues in the
//     tenant (created through the API if missing), median of 5, and the DOM
//     rows and frame times while scrolling the whole list.
// Env: BASE (default http://localhost:8080), PERF_SLUG (acme),
// PERF_EMAIL (owner@acme.test), PERF_PASSWORD (Demo-Passw0rd!), RUNS (5),
// PERF_SIZES_ONLY=1 (only part 1).
import { chromium } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const BASE = process.env.BASE ?? `http://${process.env.GATEWAY_ADDR ?? 'localhost:8080'}`;
const SLUG = process.env.PERF_SLUG ?? 'acme';
const EMAIL = process.env.PERF_EMAIL ?? 'owner@acme.test';
const PASSWORD = process.env.PERF_PASSWORD ?? 'Demo-Passw0rd!';
const RUNS = Number(process.env.RUNS ?? 5);
const WANT = Number(process.env.PERF_ISSUES ?? 1000);
const dist = path.resolve(import.meta.dirname, '..', 'dist');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage',
  ],
});

const gz = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function signIn(page) {
  await page.goto(`${BASE}/w/${SLUG}/signin`);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  const t0 = performance.now();
  await page.getByRole('button', { name: 'Sign in' }).click();
  return t0;
}

async function scripts(page) {
  return page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => new URL(e.name).pathname)
      .filter((p) => p.endsWith('.js')),
  );
}

async function jsOf(label, open) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await open(page);
  await page.waitForLoadState('networkidle');
  const files = [...new Set(await scripts(page))];
  const total = files.reduce((n, f) => n + gz(path.join(dist, f)), 0);
  await ctx.close();
  return { label, files: files.length, gzip: total };
}

// 1. Initial JavaScript per area.
const areas = [
  await jsOf('landing (/)', (p) =>
    p.goto(`${BASE}/`).then(() => p.getByRole('list', { name: 'Plans' }).waitFor()),
  ),
  await jsOf(`sign-in (/w/${SLUG}/signin)`, (p) =>
    p.goto(`${BASE}/w/${SLUG}/signin`).then(() => p.getByLabel('Email').waitFor()),
  ),
  await jsOf(`workspace (/w/${SLUG}/issues, after sign-in)`, async (p) => {
    await signIn(p);
    await p.getByTestId('me-email').waitFor();
  }),
  await jsOf(`settings (/w/${SLUG}/settings/people)`, async (p) => {
    await signIn(p);
    await p.getByTestId('me-email').waitFor();
    await p.goto(`${BASE}/w/${SLUG}/settings/people`);
    await p.getByTestId('person-row').first().waitFor();
  }),
  await jsOf(`analytics (/w/${SLUG}/analytics/issues)`, async (p) => {
    await signIn(p);
    await p.getByTestId('me-email').waitFor();
    await p.goto(`${BASE}/w/${SLUG}/analytics/issues`);
    await p.getByTestId('issue-totals').waitFor();
  }),
  await jsOf('provider console (/admin/tenants, after sign-in)', async (p) => {
    await p.goto(`${BASE}/admin/signin`);
    await p.getByLabel('Email').fill(process.env.PERF_ROOT_EMAIL ?? 'root@issuetracker.local');
    await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByTestId('tenant-row').first().waitFor();
  }),
];

if (process.env.PERF_SIZES_ONLY) {
  await browser.close();
  console.log('\nInitial JavaScript per area (gzip, as served by CloudFront):');
  for (const a of areas) console.log(`  ${a.label.padEnd(48)} ${kb(a.gzip).padStart(9)}  (${a.files} files)`);
  process.exit(0);
}

// 2. The list with >= 1,000 issues.
async function token() {
  const cfg = await (await fetch(`${BASE}/config.json`)).json();
  const r = await fetch(`${cfg.cognito_endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    },
    body: JSON.stringify({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: cfg.tenant_client_id,
      AuthParameters: { USERNAME: EMAIL, PASSWORD },
    }),
  });
  return (await r.json()).AuthenticationResult.IdToken;
}

async function ensureIssues(tok) {
  let have = 0;
  let cursor = '';
  for (;;) {
    const r = await fetch(
      `${BASE}/v1/issues?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { headers: { Authorization: `Bearer ${tok}` } },
    );
    if (r.status === 429) {
      await new Promise((res) => setTimeout(res, 1000 * Number(r.headers.get('Retry-After') ?? 1)));
      continue;
    }
    const p = await r.json();
    have += p.items.length;
    if (!p.next_cursor || have >= WANT) break;
    cursor = p.next_cursor;
  }
  const missing = Math.max(0, WANT - have);
  if (missing)
    process.stderr.write(`creating ${missing} issues in ${SLUG} (the tier's rate limit paces this) ...\n`);
  const types = ['bug', 'feature', 'task'];
  const prios = ['none', 'low', 'medium', 'high', 'urgent'];
  let next = 0;
  const worker = async () => {
    while (next < missing) {
      const i = next++;
      for (;;) {
        const r = await fetch(`${BASE}/v1/issues`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            title: `Perf issue ${have + i + 1}: ${['login', 'export', 'billing', 'search'][i % 4]} is slow`,
            type: types[i % 3],
            priority: prios[i % 5],
          }),
        });
        if (r.status === 429) {
          await new Promise((res) => setTimeout(res, 1000 * Number(r.headers.get('Retry-After') ?? 1)));
          continue;
        }
        if (r.status !== 201) throw new Error(`create issue: ${r.status} ${await r.text()}`);
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return Math.max(have, WANT);
}

const count = await ensureIssues(await token());
const firstRender = [];
const reload = [];
let rows = 0;
let frames = [];
for (let run = 0; run < RUNS; run++) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const t0 = await signIn(page);
  await page.getByTestId('issue-row').first().waitFor();
  firstRender.push(performance.now() - t0);
  // A reload of the list: session restore, list query, render.
  const t1 = performance.now();
  await page.reload();
  await page.getByTestId('issue-row').first().waitFor();
  reload.push(performance.now() - t1);
  if (run === 0) {
    // Scroll the whole list (pages load as it goes); count DOM rows and frame times.
    frames = await page.evaluate(async () => {
      const el = document.querySelector('[data-testid="issue-list"]');
      const times = [];
      let last = performance.now();
      const end = performance.now() + 4000;
      while (performance.now() < end) {
        el.scrollTop += 400;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      return times;
    });
    rows = await page.getByTestId('issue-row').count();
  }
  await ctx.close();
}
await browser.close();

const p95 = [...frames].sort((a, b) => a - b)[Math.floor(frames.length * 0.95)] ?? 0;
console.log('\nInitial JavaScript per area (gzip, as served by CloudFront):');
for (const a of areas) console.log(`  ${a.label.padEnd(48)} ${kb(a.gzip).padStart(9)}  (${a.files} files)`);
console.log(`\nIssue list with ${count} issues in ${SLUG} (Chromium, ${RUNS} runs):`);
console.log(
  `  sign-in click -> first rows shown     median ${median(firstRender).toFixed(0)} ms  (runs: ${firstRender.map((x) => x.toFixed(0)).join(', ')})`,
);
console.log(
  `  reload of the list -> first rows      median ${median(reload).toFixed(0)} ms  (runs: ${reload.map((x) => x.toFixed(0)).join(', ')})`,
);
console.log(
  `  scrolling 4 s through the list: ${frames.length} frames, p95 frame ${p95.toFixed(1)} ms; ${rows} rows in the DOM at the end (virtualised)`,
);
