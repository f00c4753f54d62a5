import { describe, expect, it } from 'vitest';
import { isLogo, logoFileProblem } from './logo';

describe('logo', () => {
  it('shows only uploaded raster images', () => {
    expect(isLogo('data:image/png;base64,iVBORw0KGgo=')).toBe(true);
    expect(isLogo('https://cdn.example.com/logo.png')).toBe(false);
    expect(isLogo('data:image/svg+xml;base64,PHN2Zy8+')).toBe(false);
    expect(isLogo(undefined)).toBe(false);
  });
  it('refuses SVG and big files before uploading', () => {
    expect(logoFileProblem(new File(['<svg/>'], 'l.svg', { type: 'image/svg+xml' }))).toMatch(/not SVG/);
    expect(logoFileProblem(new File([new Uint8Array(17 << 10)], 'l.png', { type: 'image/png' }))).toMatch(
      /at most 16 KB/,
    );
    expect(logoFileProblem(new File([new Uint8Array(100)], 'l.png', { type: 'image/png' }))).toBe('');
  });
});
