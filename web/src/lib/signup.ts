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
