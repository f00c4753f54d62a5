// Sign-up form rules, checked before anything is sent (the server checks
// again and its field errors are shown the same way).
export const SLUG = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface SignupForm {
  company_name: string;
  slug: string;
  admin_email: string;
  tier: string;
}

/** A slug proposed from a company name: "Acme Corp." -> "acme-corp". */
export function slugify(name: string): string {
  let s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  if (s && !/^[a-z]/.test(s)) s = `team-${s}`.slice(0, 32);
  return s;
}

export function validateSignup(f: SignupForm): Partial<Record<keyof SignupForm, string>> {
  const e: Partial<Record<keyof SignupForm, string>> = {};
  const name = f.company_name.trim();
  if (!name) e.company_name = 'Enter your company name.';
  else if (name.length > 100) e.company_name = 'At most 100 characters.';
  if (!f.slug) e.slug = 'Choose a workspace address.';
  else if (!SLUG.test(f.slug))
    e.slug = '3 to 32 characters: lowercase letters, digits and hyphens, starting with a letter.';
  if (!EMAIL.test(f.admin_email.trim())) e.admin_email = 'Enter a valid email address.';
  if (!f.tier) e.tier = 'Choose a plan.';
  return e;
}

// Cells (docs/scale.md): a cell that places a registration in another cell refuses it with 409
// registration_in_other_cell, naming that cell and its /v1/registrations in the problem's detail
// ("this registration is placed in cell-2: send it to https://api.cell-2.example/v1/registrations").
// The browser re-sends it there itself (the target cell limits registrations per client address),
// once: a second pointer means placement changed meanwhile, and the person is told where to go.

/** Where a registration placed in another cell must be sent. */
export interface CellPointer {
  cell: string;
  /** The other cell's API base (what /v1/... is appended to). */
  apiURL: string;
}

export const OTHER_CELL = 'registration_in_other_cell';

/** Reads the pointer of a registration_in_other_cell problem; undefined when there is none. */
export function cellPointer(
  problem: { code?: string; detail?: string } | undefined,
): CellPointer | undefined {
  if (problem?.code !== OTHER_CELL || !problem.detail) return undefined;
  const m = /placed in (\S+?):? send it to (\S+?)\/v1\/registrations\b/.exec(problem.detail);
  if (!m) return undefined;
  try {
    const u = new URL(m[2]!);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    return { cell: m[1]!, apiURL: u.href.replace(/\/$/, '') };
  } catch {
    return undefined;
  }
}

/** A registration that could not be sent where the platform placed it. */
export class OtherCellError extends Error {
  readonly pointer?: CellPointer;
  constructor(message: string, pointer?: CellPointer) {
    super(message);
    this.name = 'OtherCellError';
    this.pointer = pointer;
  }
}

type Refusal = { status: number; code: string; problem: { code?: string; detail?: string } };

function isRefusal(e: unknown): e is Refusal {
  return typeof e === 'object' && e !== null && 'status' in e && 'code' in e && 'problem' in e;
}

/**
 * Registers through `send` (undefined: this cell's API; a URL: another cell's), following one
 * registration_in_other_cell pointer. Returns the registration and the API that holds it (its
 * status, verification and resend calls go there). Other refusals are thrown unchanged so their
 * field errors are shown as before.
 */
export async function registerInCell<T>(
  send: (apiURL?: string) => Promise<T>,
): Promise<{ registration: T; apiURL?: string }> {
  try {
    return { registration: await send() };
  } catch (e) {
    const ptr = isRefusal(e) ? cellPointer(e.problem) : undefined;
    if (!ptr) {
      if (isRefusal(e) && e.code === OTHER_CELL)
        throw new OtherCellError(
          'Your workspace is to be created in another region of IssueTracker, which did not say where. Please try again in a minute.',
        );
      throw e;
    }
    try {
      return { registration: await send(ptr.apiURL), apiURL: ptr.apiURL };
    } catch (e2) {
      if (isRefusal(e2) && e2.code === OTHER_CELL)
        throw new OtherCellError(
          'Your workspace could not be placed: the regions that host IssueTracker changed while you signed up. Please submit again.',
          ptr,
        );
      if (isRefusal(e2) && e2.status === 0)
        throw new OtherCellError(
          `Your workspace is to be created in ${ptr.cell}, which this page could not reach. Sign up again in a minute; if it keeps failing, send your registration to ${ptr.apiURL}/v1/registrations or contact support.`,
          ptr,
        );
      throw e2;
    }
  }
}
