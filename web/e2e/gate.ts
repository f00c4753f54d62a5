// Playwright's global setup, run after its webServer (the platform) is up
// and before the first spec. E2E_START_WHEN names a file: the specs wait
// until it exists and start only when it says "go". make test starts the
// suite this way beside its race pass, so the platform's start (DynamoDB
// Local, cognito-local, the seed) overlaps the race pass while the specs
// still run alone after it; the file says why not when the race pass
// failed, and the suite then stops without running a spec.
import { existsSync, readFileSync } from 'node:fs';

export const GATE_DEADLINE_MS = 20 * 60_000;

export async function waitForGate(file: string, deadlineMs = GATE_DEADLINE_MS, pollMs = 200): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${deadlineMs} ms`);
    await new Promise((res) => setTimeout(res, pollMs));
  }
  const said = readFileSync(file, 'utf8').trim();
  if (said !== 'go') throw new Error(`the specs were not started: ${said || 'the gate is empty'}`);
}

export default async function globalSetup(): Promise<void> {
  const file = process.env.E2E_START_WHEN;
  if (file) await waitForGate(file);
}
