import { defineConfig } from '@playwright/test';
import { DESKTOP, e2e } from './e2e/env';

// The browser suite starts the whole local platform itself with the repo's
// CLI (bin/issuetracker dev, built by make), on its own ports and its own
// state folder (wiped per run), then drives Debian's Chromium.
export default defineConfig({
  testDir: 'e2e',
  // E2E_START_WHEN: the specs wait for make test's race pass (e2e/gate.ts).
  globalSetup: './e2e/gate.ts',
  outputDir: 'artifacts/test-results',
  // A test's own timeout is above the waits inside it: the long flows wait
  // up to a minute for onboarding, 30 s for a sorted table, then 90 s in a
  // toPass (docs/testing.md, rule 9), and at load average 18-20 admin.spec's
  // tenant flow hit a 120 s timeout inside its 90 s toPass (2026-12-02,
  // branch ctime7). The timeout costs a passing test nothing.
  timeout: 240_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: Number(process.env.E2E_WORKERS ?? 2),
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'artifacts/report' }]],
  use: {
    baseURL: e2e.baseURL,
    // The desktop screenshots' size (e2e/helpers.ts), so taking them costs
    // no resize and relayout there and back.
    viewport: DESKTOP,
    // A failing test keeps its trace: every action with the DOM before and
    // after it, the network and the console (and the failure's screenshot,
    // below). Not the trace's screencast: Chromium encodes a frame of every
    // repaint for it, for every test, and the suite is Chromium-bound.
    // settings.spec.ts against one platform, alternating (load average
    // 19-23, 2026-12-02, branch ctime8): 132.5 s of CPU in Playwright and
    // Chromium with the screencast, 80.1 s without it, 83.8 s with no trace
    // at all; workflows and cycles 134.1 s against 109.7 s (docs/testing.md,
    // "The browser suite's time").
    trace: { mode: 'retain-on-failure', screenshots: false },
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      // The machine's closed network refuses Chromium's background connections.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-dev-shm-usage',
      ],
    },
  },
  webServer: e2e.reuse
    ? undefined
    : {
        command: `rm -rf "${e2e.stateDir}" && exec ../bin/issuetracker dev${e2e.cells === '2' ? ' -cells 2' : ''}`,
        url: `${e2e.baseURL}/health`,
        env: e2e.serverEnv(),
        timeout: 240_000,
        reuseExistingServer: false,
        gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
        stdout: 'ignore',
        stderr: 'pipe',
      },
});
