import { declare, splitParts } from './imports';

const utf8 = (s: string) => new TextEncoder().encode(s).length;

describe('import parts', () => {
  it('keeps a small file in one part', () => {
    expect(splitParts('title\nhello\n')).toEqual(['title\nhello\n']);
    expect(splitParts('')).toEqual([]);
  });

  it('splits by UTF-8 bytes, never inside a character, and the parts join to the file', () => {
    const text = 'aé€😀'.repeat(50); // 1 + 2 + 3 + 4 bytes
    const parts = splitParts(text, 16);
    expect(parts.join('')).toBe(text);
    for (const p of parts) {
      expect(utf8(p)).toBeLessThanOrEqual(16);
      expect(/[\uD800-\uDBFF]$|^[\uDC00-\uDFFF]/.test(p)).toBe(false); // no split surrogate pair
    }
    // each part is as full as the next character allows
    expect(parts.slice(0, -1).every((p) => utf8(p) > 16 - 4)).toBe(true);
  });

  it('declares size and SHA-256 of the UTF-8 bytes', async () => {
    const d = await declare('abc');
    expect(d.size).toBe(3);
    expect(d.sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect((await declare('é')).size).toBe(2);
  });
});
