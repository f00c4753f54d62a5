import { cellPointer, OtherCellError, registerInCell, slugify, validateSignup } from './signup';

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

describe('registration placed in another cell', () => {
  const refusal = (status: number, code: string, detail?: string) =>
    Object.assign(new Error(detail ?? code), { status, code, problem: { code, detail } });
  const other = refusal(
    409,
    'registration_in_other_cell',
    'this registration is placed in cell-2: send it to http://localhost:18591/v1/registrations',
  );

  it('reads the pointer from the problem', () => {
    expect(cellPointer(other.problem)).toEqual({ cell: 'cell-2', apiURL: 'http://localhost:18591' });
    expect(
      cellPointer({
        code: 'registration_in_other_cell',
        detail:
          'this registration is placed in eu-1: send it to https://api.eu-1.example.com/prod/v1/registrations',
      }),
    ).toEqual({ cell: 'eu-1', apiURL: 'https://api.eu-1.example.com/prod' });
    expect(cellPointer({ code: 'slug_taken', detail: 'this slug is taken' })).toBeUndefined();
    expect(
      cellPointer({
        code: 'registration_in_other_cell',
        detail: 'this registration is placed in x: send it to javascript:alert(1)/v1/registrations',
      }),
    ).toBeUndefined();
  });

  it('sends it here first, then once to the named cell, and says which API holds it', async () => {
    const sent: (string | undefined)[] = [];
    const r = await registerInCell(async (api) => {
      sent.push(api);
      if (!api) throw other;
      return { tenant_id: 't1' };
    });
    expect(sent).toEqual([undefined, 'http://localhost:18591']);
    expect(r).toEqual({ registration: { tenant_id: 't1' }, apiURL: 'http://localhost:18591' });
  });

  it('stays here when this cell takes it', async () => {
    const r = await registerInCell(async () => ({ tenant_id: 't1' }));
    expect(r).toEqual({ registration: { tenant_id: 't1' } });
  });

  it('follows at most one pointer', async () => {
    const sent: (string | undefined)[] = [];
    const err = await registerInCell(async (api) => {
      sent.push(api);
      throw other;
    }).catch((e: unknown) => e);
    expect(sent).toHaveLength(2);
    expect(err).toBeInstanceOf(OtherCellError);
    expect((err as Error).message).toMatch(/changed while you signed up/);
  });

  it('tells the person where to go when the other cell cannot be reached', async () => {
    const err = await registerInCell(async (api) => {
      if (!api) throw other;
      throw refusal(0, 'network_error');
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /^Your workspace is to be created in cell-2, which this page could not reach\. .*http:\/\/localhost:18591\/v1\/registrations/,
    );
  });

  it('passes other refusals through (their field errors are shown as before)', async () => {
    const taken = refusal(409, 'slug_taken', 'this slug is taken');
    await expect(registerInCell(async () => Promise.reject(taken))).rejects.toBe(taken);
    const fromTarget = refusal(400, 'validation_failed');
    await expect(registerInCell(async (api) => Promise.reject(api ? fromTarget : other))).rejects.toBe(
      fromTarget,
    );
  });
});
