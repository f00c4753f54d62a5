// The tenant's primary colour is applied through CSS variables; text and
// controls stay readable whatever colour the Super Admin picks (WCAG contrast).
function rgb(hex: string): [number, number, number] | undefined {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m || !m[1]) return undefined;
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function luminance([r, g, b]: [number, number, number]): number {
  const ch = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
}

/** WCAG contrast ratio of two #rrggbb colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const x = rgb(a);
  const y = rgb(b);
  if (!x || !y) return 1;
  const [l1, l2] = [luminance(x), luminance(y)].sort((p, q) => q - p) as [number, number];
  return (l1 + 0.05) / (l2 + 0.05);
}

function hex([r, g, b]: [number, number, number]): string {
  return '#' + [r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('');
}

/** The colour darkened until it reaches `ratio` against white (for links and accents). */
export function readableOnWhite(color: string, ratio = 4.5): string {
  let c = rgb(color);
  if (!c) return '#5e6ad2';
  for (let i = 0; i < 40 && contrast(hex(c), '#ffffff') < ratio; i++) {
    c = c.map((v) => v * 0.92) as [number, number, number];
  }
  return hex(c);
}

/** CSS variables for a brand colour: the accent (readable on white) and its foreground. */
export function brandVars(primary: string | undefined): Record<string, string> {
  if (!primary || !rgb(primary)) return {};
  const brand = readableOnWhite(primary);
  const fg = contrast(brand, '#ffffff') >= contrast(brand, '#000000') ? '#ffffff' : '#000000';
  return { '--brand': brand, '--brand-fg': fg };
}
