// CSV import (POST /v1/imports): a file is declared by its size and SHA-256,
// then sent in parts of at most 48 KB of UTF-8 (a part travels in a JSON body
// under the edge's 64 KB), split between characters, never inside one.

export const PART_BYTES = 48 << 10;

/** Splits text into parts of at most maxBytes of UTF-8 each, between code points. */
export function splitParts(text: string, maxBytes = PART_BYTES): string[] {
  const parts: string[] = [];
  let start = 0;
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + n > maxBytes) {
      parts.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += n;
    i += units;
  }
  if (i > start) parts.push(text.slice(start));
  return parts;
}

/** Lower-case hex SHA-256 of bytes (the import's id). */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The declaration of a file: its UTF-8 size and hash, and its parts. */
export async function declare(text: string, maxBytes = PART_BYTES) {
  const bytes = new TextEncoder().encode(text);
  return { size: bytes.length, sha256: await sha256Hex(bytes), parts: splitParts(text, maxBytes) };
}
