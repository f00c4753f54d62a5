import { slugify, validateSignup } from './signup';

describe('sign-up form', () => {
  it('proposes a slug from the company name', () => {
    expect(slugify('Acme Corp.')).toBe('acme-corp');
    expect(slugify('  Café  Ünïcode  GmbH ')).toBe('cafe-unicode-gmbh');
    expect(slugify('42 Labs')).toBe('team-42-labs');
  });

  it('checks every field before sending', () => {
    expect(validateSignup({ company_name: '', slug: 'A', admin_email: 'nope', tier: '' })).toEqual({
      company_name: expect.any(String),
      slug: expect.any(String),
      admin_email: expect.any(String),
      tier: expect.any(String),
    });
    expect(
      validateSignup({ company_name: 'Acme', slug: 'acme', admin_email: 'a@acme.test', tier: 'basic' }),
    ).toEqual({});
  });
});
