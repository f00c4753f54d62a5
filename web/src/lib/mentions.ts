// @mention autocomplete in comment boxes. The API extracts mentions with
// @([A-Za-z0-9][A-Za-z0-9._-]{0,63}) (internal/issue/text.go), so the handle
// inserted for a user is one that pattern reads back whole.
const HANDLE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The handle that mentions a user: the username, or its part before "@" for an email username. */
export function handleOf(u: { username: string; email?: string }): string {
  const base = u.username.includes('@') ? u.username.slice(0, u.username.indexOf('@')) : u.username;
  const clean = base.replace(/[^A-Za-z0-9._-]/g, '').replace(/^[._-]+/, '');
  return HANDLE.test(clean) ? clean : 'user';
}

/** The @query being typed just before the caret, if any. */
export function mentionAt(text: string, caret: number): { start: number; query: string } | undefined {
  const before = text.slice(0, caret);
  const m = /(^|[^\w@])@([A-Za-z0-9._-]{0,64})$/.exec(before);
  if (!m) return undefined;
  const query = m[2] ?? '';
  return { start: caret - query.length - 1, query };
}

/** Replaces the @query at start..caret with the handle; returns the text and the new caret. */
export function insertMention(text: string, start: number, caret: number, handle: string) {
  const ins = `@${handle} `;
  return { text: text.slice(0, start) + ins + text.slice(caret), caret: start + ins.length };
}

export function matchUsers<U extends { username: string; email: string; display_name?: string }>(
  users: U[],
  query: string,
  limit = 6,
): U[] {
  const q = query.toLowerCase();
  return users
    .filter(
      (u) =>
        !q ||
        handleOf(u).toLowerCase().startsWith(q) ||
        u.email.toLowerCase().startsWith(q) ||
        (u.display_name ?? '')
          .toLowerCase()
          .split(/\s+/)
          .some((w) => w.startsWith(q)),
    )
    .slice(0, limit);
}
