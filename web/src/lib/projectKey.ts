/** A project key as the API takes it: 2-10 letters or digits, starting with a letter. */
export const KEY_RE = /^[A-Z][A-Z0-9]{1,9}$/;

/**
 * The key a new project's name suggests, until the person types one: the initials of a name of
 * several words (Mobile App: MA), else its first three letters (Website: WEB); '' when the name
 * gives none the API would take (the person then chooses).
 */
export function suggestKey(name: string): string {
  const words = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
  const first = words.findIndex((w) => /^[A-Z]/.test(w));
  if (first < 0) return '';
  const rest = words.slice(first);
  const key =
    rest.length > 1
      ? rest
          .map((w) => w[0])
          .join('')
          .slice(0, 4)
      : rest[0]!.slice(0, 3);
  return KEY_RE.test(key) ? key : '';
}
