import { brandVars, contrast, readableOnWhite } from './color';

describe('brand colour', () => {
  it('computes WCAG contrast', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 0);
    expect(contrast('#ffffff', '#ffffff')).toBeCloseTo(1, 5);
  });

  it('darkens a pale primary colour until text on white is readable', () => {
    const c = readableOnWhite('#ffee58');
    expect(contrast(c, '#ffffff')).toBeGreaterThanOrEqual(4.5);
  });

  it('keeps a dark colour and picks a readable foreground', () => {
    expect(brandVars('#1e3a8a')).toEqual({ '--brand': '#1e3a8a', '--brand-fg': '#ffffff' });
    const v = brandVars('#ffee58');
    expect(contrast(v['--brand']!, v['--brand-fg']!)).toBeGreaterThanOrEqual(4.5);
  });

  it('ignores what is not a colour', () => {
    expect(brandVars('red; background:url(x)')).toEqual({});
    expect(brandVars(undefined)).toEqual({});
  });
});
