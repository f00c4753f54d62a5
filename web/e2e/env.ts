// Every port the browser suite uses comes from the environment, so checkouts
// test side by side (and never on make dev's defaults).
import path from 'node:path';

const env = (k: string, d: string) => process.env[k] || d;

const gatewayAddr = env('E2E_GATEWAY_ADDR', 'localhost:8481');

export const e2e = {
  gatewayAddr,
  baseURL: `http://${gatewayAddr}`,
  dynamodbPort: env('E2E_DYNAMODB_PORT', '8401'),
  cognitoPort: env('E2E_COGNITO_PORT', '9430'),
  s3Port: env('E2E_S3_PORT', '4571'),
  smtpPort: env('E2E_SMTP_PORT', '1027'),
  mailUIPort: env('E2E_MAIL_UI_PORT', '8027'),
  stripePort: env('E2E_STRIPE_PORT', '12131'),
  /**
   * E2E_CELLS=2: the platform runs cell-1 (on gatewayAddr) and cell-2 (on
   * E2E_CELL2_GATEWAY_ADDR) side by side, as make dev CELLS=2 does
   * (e2e/cells.spec.ts runs only then).
   */
  cells: env('E2E_CELLS', '1'),
  cell2Addr: env('E2E_CELL2_GATEWAY_ADDR', 'localhost:8491'),
  get cell2URL() {
    return `http://${this.cell2Addr}`;
  },
  /** E2E_REUSE=1: drive a platform you started yourself (make dev) instead. */
  reuse: !!process.env.E2E_REUSE,
  stateDir: path.resolve(import.meta.dirname, '..', '..', '.local', 'e2e'),
  get mailAPI() {
    return `http://127.0.0.1:${this.mailUIPort}`;
  },
  serverEnv(): Record<string, string> {
    return {
      ...(process.env as Record<string, string>),
      GATEWAY_ADDR: gatewayAddr,
      DYNAMODB_PORT: this.dynamodbPort,
      COGNITO_PORT: this.cognitoPort,
      S3_PORT: this.s3Port,
      MAIL_SMTP_PORT: this.smtpPort,
      MAIL_UI_PORT: this.mailUIPort,
      STRIPE_PORT: this.stripePort,
      ITR_DEV_STATE: this.stateDir,
      CELL2_GATEWAY_ADDR: this.cell2Addr,
      // The browser suite runs on the in-process platform by default;
      // ITR_DEV_MODE=template (make web-e2e-template) runs it on the
      // template-driven one (functions as Lambda processes).
      ITR_DEV_MODE: process.env.ITR_DEV_MODE ?? 'in-process',
      // The notification mail's batching window (make dev: 20 s), the knob
      // the activity stream function reads: short, so collab.spec.ts's
      // mention mail arrives without waiting a window out. The batching
      // itself is proven with the real five minutes in Go
      // (internal/notify/notifyapi: TestTwentyEditsInFiveMinutesAreOneMail).
      ITR_NOTIFY_WINDOW: process.env.ITR_NOTIFY_WINDOW ?? '2s',
    };
  },
};

export const DEMO_PASSWORD = 'Demo-Passw0rd!';

/** The screenshots' sizes (helpers.ts); DESKTOP is the suite's viewport too. */
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
