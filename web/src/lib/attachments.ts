// Attachments: the upload flow (declare -> presigned PUT straight to object
// storage -> confirm), kept free of React so the steps and the messages for
// the API's refusals are unit-tested (attachments.test.ts). The server is the
// judge of types, sizes and quota (internal/attachment); this module only
// describes its answers in words.
import { ApiError, errorMessage } from '../api/problem';
import type { components } from '../api/schema';
import { formatBytes } from './format';

export type Attachment = components['schemas']['Attachment'];
export type Upload = components['schemas']['Upload'];
export type UploadRequest = components['schemas']['UploadRequest'];

/** Types the browser may leave empty, by file extension (the server still checks the bytes). */
const BY_EXTENSION: Record<string, string> = {
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  txt: 'text/plain',
  log: 'text/plain',
  json: 'application/json',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  mp4: 'video/mp4',
};

/** The plain media type to declare for a file (lower case, no parameters). */
export function contentTypeOf(file: { name: string; type: string }): string {
  const t = file.type.split(';')[0]!.trim().toLowerCase();
  if (t) return t;
  const ext = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase() ?? '';
  return BY_EXTENSION[ext] ?? 'application/octet-stream';
}

/** Images the page may show inline (the API serves them inline, everything else as a download). */
export function isInlineImage(contentType: string): boolean {
  return ['image/png', 'image/jpeg', 'image/gif', 'image/webp'].includes(contentType);
}

/** The base64 SHA-256 of a file, as S3's x-amz-checksum-sha256 and the API expect it. */
export async function sha256Base64(file: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  let bin = '';
  for (const b of new Uint8Array(digest)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** A refusal of the object store's PUT (S3 answers XML, not problem+json). */
export class StoreError extends Error {
  readonly status: number;
  readonly s3Code?: string;
  constructor(status: number, s3Code?: string) {
    super(status === 0 ? 'network error' : `the file store answered ${status}${s3Code ? ` ${s3Code}` : ''}`);
    this.name = 'StoreError';
    this.status = status;
    this.s3Code = s3Code;
  }
}

/** An upload that was abandoned by the person. */
export class UploadCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'UploadCancelled';
  }
}

export type Phase = 'hashing' | 'requesting' | 'uploading' | 'confirming';

/** What the flow needs from the API and the network (api() and XHR in the app, fakes in tests). */
export interface UploadDeps {
  digest: (file: Blob) => Promise<string>;
  request: (body: UploadRequest) => Promise<Upload>;
  put: (up: Upload, file: Blob, onProgress: (loaded: number) => void) => Promise<void>;
  confirm: (attachmentId: string) => Promise<Attachment>;
  /** Drops a pending upload (its reservation); best effort. */
  release: (attachmentId: string) => Promise<void>;
}

export interface UploadOptions {
  commentId?: string;
  onPhase?: (p: Phase) => void;
  /** Bytes sent so far of the file's size. */
  onProgress?: (loaded: number, total: number) => void;
}

/**
 * Uploads one file: declares it (name, type, size, SHA-256), PUTs exactly
 * the bytes with the headers the presigned request signed, then asks the
 * platform to confirm it. When the PUT or the confirmation fails the pending
 * upload is released, so its reserved storage returns at once; a lost answer
 * to the confirmation is asked again once (confirming is idempotent).
 */
export async function uploadAttachment(
  file: File,
  deps: UploadDeps,
  opts: UploadOptions = {},
): Promise<Attachment> {
  opts.onPhase?.('hashing');
  const sha256 = await deps.digest(file);
  opts.onPhase?.('requesting');
  const body: UploadRequest = {
    filename: file.name,
    content_type: contentTypeOf(file),
    size: file.size,
    sha256,
    ...(opts.commentId ? { comment_id: opts.commentId } : {}),
  };
  const up = await deps.request(body);
  const id = up.attachment.id;
  try {
    opts.onPhase?.('uploading');
    opts.onProgress?.(0, file.size);
    await deps.put(up, file, (loaded) => opts.onProgress?.(Math.min(loaded, file.size), file.size));
    opts.onProgress?.(file.size, file.size);
    opts.onPhase?.('confirming');
    try {
      return await deps.confirm(id);
    } catch (e) {
      if (e instanceof ApiError && e.status === 0) return await deps.confirm(id);
      throw e;
    }
  } catch (e) {
    await deps.release(id).catch(() => undefined);
    throw e;
  }
}

/** A sentence for a failed upload of a file, from the API's problem+json or the store's refusal. */
export function uploadErrorMessage(e: unknown, file: { name: string; size: number; type: string }): string {
  const name = `“${file.name}”`;
  if (e instanceof UploadCancelled) return `The upload of ${name} was cancelled.`;
  if (e instanceof StoreError) {
    if (e.status === 0)
      return `${name} could not be sent to the file store. Check your connection and try again.`;
    if (e.s3Code === 'AccessDenied' || e.status === 403)
      return `The file store refused ${name} (its upload link expired or the file changed while it was sent). Try again.`;
    return `The file store refused ${name} (${e.message}). Try again.`;
  }
  if (e instanceof ApiError) {
    const f = e.fieldErrors();
    switch (e.code) {
      case 'storage_quota_exceeded':
        return `${name} (${formatBytes(file.size)}) was not attached: your workspace's attachment storage is full. ${e.problem.detail ?? ''}`.trim();
      case 'upload_mismatch':
        return `${name} was discarded: the stored file is not the one declared (${Object.values(f).join('; ') || e.problem.detail}).`;
      case 'upload_expired':
        return `The upload of ${name} took too long and expired. Try again.`;
      case 'upload_missing':
        return `${name} did not reach the file store. Try again.`;
    }
    if (f.content_type)
      return `${name} cannot be attached: the type ${contentTypeOf(file)} ${f.content_type}.`;
    if (f.size) return `${name} (${formatBytes(file.size)}) is too large: it ${f.size}.`;
    if (f.filename) return `${name} cannot be attached: its name ${f.filename}.`;
  }
  return `${name} was not attached: ${errorMessage(e)}`;
}

/** Files from a drop or a paste (only files; text is left alone). */
export function filesOf(dt: DataTransfer | null): File[] {
  if (!dt) return [];
  const out: File[] = [];
  if (dt.items?.length) {
    for (const it of Array.from(dt.items)) {
      if (it.kind !== 'file') continue;
      const f = it.getAsFile();
      if (f) out.push(f);
    }
    return out;
  }
  return Array.from(dt.files ?? []);
}

/** A pasted image without a real name ("image.png") gets one a person can tell apart. */
export function namePasted(file: File, now = new Date()): File {
  if (file.name && file.name !== 'image.png' && file.name !== 'image') return file;
  const ext = contentTypeOf(file).split('/')[1]?.replace('jpeg', 'jpg') ?? 'png';
  const stamp = now.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return new File([file], `pasted-${stamp}.${ext}`, { type: file.type });
}

/** PUTs a file with XMLHttpRequest (fetch has no upload progress), with exactly the signed headers. */
export function xhrPut(
  up: Pick<Upload, 'url' | 'method' | 'headers'>,
  file: Blob,
  onProgress: (loaded: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open(up.method || 'PUT', up.url);
    for (const [k, v] of Object.entries(up.headers)) x.setRequestHeader(k, v);
    x.upload.onprogress = (ev) => onProgress(ev.loaded);
    x.onload = () => {
      if (x.status >= 200 && x.status < 300) return resolve();
      const code = /<Code>([^<]+)<\/Code>/.exec(x.responseText ?? '')?.[1];
      reject(new StoreError(x.status, code));
    };
    x.onerror = () => reject(new StoreError(0));
    x.onabort = () => reject(new UploadCancelled());
    signal?.addEventListener('abort', () => x.abort());
    x.send(file);
  });
}
