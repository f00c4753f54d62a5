/** The logo rules of the API (internal/tenant/logo.go): a data: URL of a raster image, at most 16 KB. */
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
export const MAX_LOGO_BYTES = 16 << 10;

/** Whether the app may show logo: only an uploaded image (the CSP loads no image from other sites). */
export function isLogo(logo: string | undefined): logo is string {
  return !!logo && LOGO_TYPES.some((t) => logo.startsWith(`data:${t};base64,`));
}

/** Why file cannot be the logo, or '' when it can. */
export function logoFileProblem(file: File): string {
  if (!LOGO_TYPES.includes(file.type)) return 'Choose a PNG, JPEG, GIF or WebP image (not SVG).';
  if (file.size > MAX_LOGO_BYTES)
    return `The image is ${Math.ceil(file.size / 1024)} KB; a logo is at most ${MAX_LOGO_BYTES >> 10} KB (a 128 px square fits).`;
  return '';
}

/** Reads file as the data: URL the API stores. */
export function readLogo(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('could not read the file'));
    r.readAsDataURL(file);
  });
}
