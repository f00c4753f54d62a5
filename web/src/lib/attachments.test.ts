import { ApiError } from '../api/problem';
import {
  contentTypeOf,
  filesOf,
  namePasted,
  sha256Base64,
  StoreError,
  uploadAttachment,
  uploadErrorMessage,
  xhrPut,
  type Attachment,
  type Upload,
  type UploadDeps,
} from './attachments';
import { canDeleteAttachment } from './permissions';

const png = () =>
  new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4])], 'shot.png', { type: 'image/png' });

const attachment = (over: Partial<Attachment> = {}): Attachment => ({
  id: 'A1',
  issue_id: 'I1',
  filename: 'shot.png',
  content_type: 'image/png',
  size: 8,
  sha256: 'h',
  state: 'pending',
  uploader_id: 'u1',
  created_at: '2026-11-30T00:00:00Z',
  ...over,
});

const upload = (): Upload => ({
  attachment: attachment(),
  url: 'http://s3.test/bucket/t/I1/A1?X-Amz-Signature=x',
  method: 'PUT',
  headers: { 'Content-Type': 'image/png', 'X-Amz-Checksum-Sha256': 'h', 'If-None-Match': '*' },
  expires_at: '2026-11-30T00:10:00Z',
});

/** Fake API and store that record the calls in order. */
function fakes(over: Partial<UploadDeps> = {}) {
  const calls: string[] = [];
  const deps: UploadDeps = {
    digest: async () => (calls.push('digest'), 'h'),
    request: async (b) => (calls.push(`request ${JSON.stringify(b)}`), upload()),
    put: async (up, f, onProgress) => {
      calls.push(`put ${up.url} ${f.size}`);
      onProgress(4);
    },
    confirm: async (id) => (calls.push(`confirm ${id}`), attachment({ state: 'ready' })),
    release: async (id) => void calls.push(`release ${id}`),
    ...over,
  };
  return { calls, deps };
}

const problem = (
  status: number,
  code: string,
  errors?: { field: string; reason: string }[],
  detail?: string,
) => new ApiError(status, { type: 'about:blank', title: 't', status, code, errors, detail });

describe('the upload flow', () => {
  it('declares the file, PUTs the bytes to the presigned URL with progress, then confirms', async () => {
    const { calls, deps } = fakes();
    const phases: string[] = [];
    const progress: [number, number][] = [];
    const a = await uploadAttachment(png(), deps, {
      onPhase: (p) => phases.push(p),
      onProgress: (l, t) => progress.push([l, t]),
    });
    expect(a.state).toBe('ready');
    expect(calls).toEqual([
      'digest',
      'request {"filename":"shot.png","content_type":"image/png","size":8,"sha256":"h"}',
      'put http://s3.test/bucket/t/I1/A1?X-Amz-Signature=x 8',
      'confirm A1',
    ]);
    expect(phases).toEqual(['hashing', 'requesting', 'uploading', 'confirming']);
    expect(progress).toEqual([
      [0, 8],
      [4, 8],
      [8, 8],
    ]);
  });

  it('attaches to a comment when asked', async () => {
    const { calls, deps } = fakes();
    await uploadAttachment(png(), deps, { commentId: 'C9' });
    expect(calls[1]).toContain('"comment_id":"C9"');
  });

  it('stops at a refused declaration: nothing is sent and nothing to release', async () => {
    const refused = problem(400, 'validation_failed', [
      { field: 'content_type', reason: 'is not an allowed type; allowed: image/png, application/pdf' },
    ]);
    const { calls, deps } = fakes({
      request: async () => {
        throw refused;
      },
    });
    const svg = new File(['<svg/>'], 'logo.svg', { type: 'image/svg+xml' });
    await expect(uploadAttachment(svg, deps)).rejects.toBe(refused);
    expect(calls).toEqual(['digest']);
    expect(uploadErrorMessage(refused, svg)).toBe(
      '“logo.svg” cannot be attached: the type image/svg+xml is not an allowed type; allowed: image/png, application/pdf.',
    );
  });

  it('releases the reservation when the store refuses the PUT', async () => {
    const { calls, deps } = fakes({
      put: async () => {
        throw new StoreError(403, 'AccessDenied');
      },
    });
    const err = await uploadAttachment(png(), deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(calls.at(-1)).toBe('release A1');
    expect(calls.some((c) => c.startsWith('confirm'))).toBe(false);
    expect(uploadErrorMessage(err, png())).toMatch(
      /^The file store refused “shot.png” \(its upload link expired/,
    );
  });

  it('releases an upload the platform refuses to confirm (swapped bytes)', async () => {
    const mismatch = problem(422, 'upload_mismatch', [
      { field: 'sha256', reason: "the stored object's SHA-256 is not the one declared" },
    ]);
    const { calls, deps } = fakes({
      confirm: async () => {
        throw mismatch;
      },
    });
    await expect(uploadAttachment(png(), deps)).rejects.toBe(mismatch);
    expect(calls.at(-1)).toBe('release A1');
    expect(uploadErrorMessage(mismatch, png())).toBe(
      "“shot.png” was discarded: the stored file is not the one declared (the stored object's SHA-256 is not the one declared).",
    );
  });

  it('asks again once when the confirmation is lost, without releasing', async () => {
    let n = 0;
    const { calls, deps } = fakes({
      confirm: async (id) => {
        calls.push(`confirm ${id}`);
        if (n++ === 0) throw new ApiError(0, undefined);
        return attachment({ state: 'ready' });
      },
    });
    const a = await uploadAttachment(png(), deps);
    expect(a.state).toBe('ready');
    expect(calls.filter((c) => c === 'confirm A1')).toHaveLength(2);
    expect(calls.some((c) => c.startsWith('release'))).toBe(false);
  });
});

describe('messages for refused uploads', () => {
  const big = { name: 'video.mp4', size: 30 * 1024 * 1024, type: 'video/mp4' };

  it('names the storage quota', () => {
    const e = problem(
      422,
      'storage_quota_exceeded',
      [{ field: 'size', reason: 'exceeds the remaining storage of your plan' }],
      'this 31457280-byte file would exceed your plan’s attachment storage (1000 of 1073741824 bytes in use or reserved)',
    );
    expect(uploadErrorMessage(e, big)).toBe(
      "“video.mp4” (30 MB) was not attached: your workspace's attachment storage is full. this 31457280-byte file would exceed your plan’s attachment storage (1000 of 1073741824 bytes in use or reserved)",
    );
  });

  it('names the per-file limit', () => {
    const e = problem(400, 'validation_failed', [
      { field: 'size', reason: "is larger than your plan's 26214400-byte limit per file" },
    ]);
    expect(uploadErrorMessage(e, big)).toBe(
      "“video.mp4” (30 MB) is too large: it is larger than your plan's 26214400-byte limit per file.",
    );
  });

  it('falls back to the problem detail, and says when the network failed', () => {
    expect(uploadErrorMessage(problem(404, 'issue_not_found', undefined, 'issue not found'), big)).toBe(
      '“video.mp4” was not attached: issue not found',
    );
    expect(uploadErrorMessage(new StoreError(0), big)).toMatch(/could not be sent to the file store/);
  });
});

describe('files', () => {
  it('declares a plain lower-case type, from the extension when the browser gives none', () => {
    expect(contentTypeOf({ name: 'a.PNG', type: 'IMAGE/PNG' })).toBe('image/png');
    expect(contentTypeOf({ name: 'notes.txt', type: 'text/plain;charset=utf-8' })).toBe('text/plain');
    expect(contentTypeOf({ name: 'README.md', type: '' })).toBe('text/markdown');
    expect(contentTypeOf({ name: 'tool.exe', type: '' })).toBe('application/octet-stream');
  });

  it('hashes as base64 SHA-256', async () => {
    expect(await sha256Base64(new Blob(['abc']))).toBe('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
  });

  it('names a pasted image and keeps real names', () => {
    const pasted = namePasted(
      new File(['x'], 'image.png', { type: 'image/png' }),
      new Date('2026-11-30T23:59:01Z'),
    );
    expect(pasted.name).toBe('pasted-2026-11-30T23-59-01.png');
    expect(pasted.type).toBe('image/png');
    const real = png();
    expect(namePasted(real)).toBe(real);
  });

  it('takes only files from a drop or paste', () => {
    const f = png();
    const dt = {
      items: [
        { kind: 'string', getAsFile: () => null },
        { kind: 'file', getAsFile: () => f },
      ],
      files: [],
    } as unknown as DataTransfer;
    expect(filesOf(dt)).toEqual([f]);
    expect(filesOf(null)).toEqual([]);
  });
});

describe('the PUT to the store', () => {
  class FakeXHR {
    static last: FakeXHR;
    headers: Record<string, string> = {};
    method = '';
    url = '';
    status = 0;
    responseText = '';
    body: unknown;
    upload: { onprogress?: (e: { loaded: number }) => void } = {};
    onload?: () => void;
    onerror?: () => void;
    onabort?: () => void;
    constructor() {
      FakeXHR.last = this;
    }
    open(m: string, u: string) {
      this.method = m;
      this.url = u;
    }
    setRequestHeader(k: string, v: string) {
      this.headers[k] = v;
    }
    send(b: unknown) {
      this.body = b;
    }
    abort() {
      this.onabort?.();
    }
  }
  beforeEach(() => vi.stubGlobal('XMLHttpRequest', FakeXHR));
  afterEach(() => vi.unstubAllGlobals());

  it('sends exactly the signed headers and reports progress', async () => {
    const seen: number[] = [];
    const file = png();
    const p = xhrPut(upload(), file, (n) => seen.push(n));
    const x = FakeXHR.last;
    expect([x.method, x.url]).toEqual(['PUT', upload().url]);
    expect(x.headers).toEqual(upload().headers);
    expect(x.body).toBe(file);
    x.upload.onprogress?.({ loaded: 5 });
    x.status = 200;
    x.onload?.();
    await p;
    expect(seen).toEqual([5]);
  });

  it("turns S3's XML refusal into a StoreError with its code", async () => {
    const p = xhrPut(upload(), png(), () => undefined);
    const x = FakeXHR.last;
    x.status = 403;
    x.responseText =
      '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>expired</Message></Error>';
    x.onload?.();
    await expect(p).rejects.toMatchObject({ name: 'StoreError', status: 403, s3Code: 'AccessDenied' });
  });

  it('cancels', async () => {
    const ac = new AbortController();
    const p = xhrPut(upload(), png(), () => undefined, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'UploadCancelled' });
  });
});

describe('who may delete an attachment', () => {
  it('is its uploader, or an Admin and above', () => {
    expect(canDeleteAttachment('user', 'u1', 'u1')).toBe(true);
    expect(canDeleteAttachment('user', 'u1', 'u2')).toBe(false);
    expect(canDeleteAttachment('admin', 'u1', 'u2')).toBe(true);
    expect(canDeleteAttachment('super_admin', 'u1', 'u2')).toBe(true);
    expect(canDeleteAttachment('root', 'u1', 'u2')).toBe(false);
  });
});
