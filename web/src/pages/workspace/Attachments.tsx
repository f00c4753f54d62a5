import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { format, parseISO } from 'date-fns';
import { Download, FileText, Paperclip, Trash2, X } from 'lucide-react';
import { useEffect, useId, useRef, useState, type DragEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { errorMessage } from '../../api/problem';
import { DialogFooter, Modal } from '../../components/Modal';
import { Banner, Button, cx } from '../../components/ui';
import {
  filesOf,
  isInlineImage,
  namePasted,
  sha256Base64,
  uploadAttachment,
  uploadErrorMessage,
  xhrPut,
  type Attachment,
  type Phase,
  type UploadDeps,
} from '../../lib/attachments';
import { formatBytes } from '../../lib/format';
import { canDeleteAttachment } from '../../lib/permissions';
import { useWorkspaceCtx } from './context';
import type { Directory } from './data';

const attachmentKeys = {
  list: (slug: string, issueId: string) => ['w', slug, 'attachments', issueId] as const,
  url: (slug: string, id: string) => ['w', slug, 'attachment-url', id] as const,
};

/** Every ready attachment of an issue (issue-level and the comments'), oldest first. */
export function useAttachments(slug: string, issueId: string) {
  return useQuery({
    queryKey: attachmentKeys.list(slug, issueId),
    queryFn: async () => {
      const out: Attachment[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 20; i++) {
        const p = await unwrap(
          api().GET('/v1/issues/{issueId}/attachments', {
            params: { path: { issueId }, query: { limit: 100, cursor } },
          }),
        );
        out.push(...p.items);
        if (!p.next_cursor) break;
        cursor = p.next_cursor;
      }
      return out;
    },
  });
}

function apiDeps(issueId: string, signal: AbortSignal): UploadDeps {
  const path = { issueId };
  return {
    digest: sha256Base64,
    request: (body) =>
      unwrap(
        api().POST('/v1/issues/{issueId}/attachments', {
          params: { path, header: { 'Idempotency-Key': crypto.randomUUID() } },
          body,
        }),
      ),
    put: (up, file, onProgress) => xhrPut(up, file, onProgress, signal),
    confirm: (attachmentId) =>
      unwrap(
        api().POST('/v1/issues/{issueId}/attachments/{attachmentId}/confirm', {
          params: { path: { issueId, attachmentId }, header: { 'Idempotency-Key': attachmentId } },
        }),
      ),
    release: async (attachmentId) => {
      await unwrap(
        api().DELETE('/v1/issues/{issueId}/attachments/{attachmentId}', {
          params: { path: { issueId, attachmentId } },
        }),
      );
    },
  };
}

interface Transfer {
  key: string;
  name: string;
  phase: Phase;
  loaded: number;
  total: number;
  error?: string;
  abort: AbortController;
}

const PHASE: Record<Phase, string> = {
  hashing: 'Preparing',
  requesting: 'Preparing',
  uploading: 'Uploading',
  confirming: 'Checking',
};

/** Uploads in flight for an issue (or one of its comments): progress, then the list refreshes. */
function useUploads(slug: string, issueId: string, commentId?: string) {
  const qc = useQueryClient();
  const [items, setItems] = useState<Transfer[]>([]);
  const [done, setDone] = useState('');
  const patch = (key: string, p: Partial<Transfer>) =>
    setItems((xs) => xs.map((x) => (x.key === key ? { ...x, ...p } : x)));

  const start = (files: File[]) => {
    for (const file of files) {
      const key = crypto.randomUUID();
      const abort = new AbortController();
      setItems((xs) => [
        ...xs,
        { key, name: file.name, phase: 'hashing', loaded: 0, total: file.size, abort },
      ]);
      uploadAttachment(file, apiDeps(issueId, abort.signal), {
        commentId,
        onPhase: (phase) => patch(key, { phase }),
        onProgress: (loaded, total) => patch(key, { loaded, total }),
      })
        .then((a) => {
          qc.setQueryData<Attachment[]>(attachmentKeys.list(slug, issueId), (old) =>
            old && !old.some((x) => x.id === a.id) ? [...old, a] : old,
          );
          void qc.invalidateQueries({ queryKey: attachmentKeys.list(slug, issueId) });
          setItems((xs) => xs.filter((x) => x.key !== key));
          setDone(`Attached ${file.name}.`);
        })
        .catch((e: unknown) => patch(key, { error: uploadErrorMessage(e, file) }));
    }
  };
  const dismiss = (key: string) => {
    setItems((xs) => xs.filter((x) => x.key !== key));
  };
  return { items, start, dismiss, done };
}

function Transfers({ up }: { up: ReturnType<typeof useUploads> }) {
  return (
    <>
      <p role="status" className="sr-only">
        {up.done}
      </p>
      {up.items.length > 0 && (
        <ul className="space-y-2" aria-label="Uploads">
          {up.items.map((t) =>
            t.error ? (
              <li key={t.key}>
                <Banner tone="error">
                  <span className="flex items-start justify-between gap-2">
                    <span>{t.error}</span>
                    <Button
                      size="sm"
                      variant="ghost"
                      aria-label={`Dismiss the message about ${t.name}`}
                      onClick={() => up.dismiss(t.key)}
                    >
                      <X className="size-3" aria-hidden />
                    </Button>
                  </span>
                </Banner>
              </li>
            ) : (
              <li key={t.key} className="flex flex-wrap items-center gap-2 text-xs">
                <span className="min-w-0 flex-1 truncate">{t.name}</span>
                <span className="text-muted">{PHASE[t.phase]}</span>
                <progress
                  className="h-1.5 w-32 accent-brand"
                  aria-label={`Uploading ${t.name}`}
                  max={t.total || 1}
                  value={t.phase === 'hashing' || t.phase === 'requesting' ? undefined : t.loaded}
                />
                <Button
                  size="sm"
                  variant="ghost"
                  aria-label={`Cancel the upload of ${t.name}`}
                  disabled={t.phase !== 'uploading'}
                  onClick={() => t.abort.abort()}
                >
                  <X className="size-3" aria-hidden />
                </Button>
              </li>
            ),
          )}
        </ul>
      )}
    </>
  );
}

/** The "Attach" button and its hidden file input. */
function AttachButton({ label, onFiles }: { label: string; onFiles: (f: File[]) => void }) {
  const ref = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={ref}
        type="file"
        multiple
        className="sr-only"
        tabIndex={-1}
        aria-hidden
        data-testid="attach-input"
        onChange={(e) => {
          onFiles(Array.from(e.target.files ?? []));
          e.target.value = '';
        }}
      />
      <Button size="sm" variant="ghost" onClick={() => ref.current?.click()} aria-label={label}>
        <Paperclip className="size-3" aria-hidden /> Attach
      </Button>
    </>
  );
}

/** The issue's own attachments: attach (button, drop, paste), progress, the list. */
export function IssueAttachments({ issueId, dir }: { issueId: string; dir: Directory }) {
  const { slug } = useWorkspaceCtx();
  const q = useAttachments(slug, issueId);
  const up = useUploads(slug, issueId);
  const [over, setOver] = useState(false);
  const headingId = useId();
  const start = up.start;

  // Pasting an image anywhere on the issue page attaches it to the issue.
  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const files = filesOf(e.clipboardData);
      if (files.length === 0) return;
      e.preventDefault();
      start(files.map((f) => namePasted(f)));
    };
    document.addEventListener('paste', onPaste);
    return () => document.removeEventListener('paste', onPaste);
  });

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const files = filesOf(e.dataTransfer);
    if (files.length) start(files);
  };
  const items = (q.data ?? []).filter((a) => !a.comment_id);

  return (
    <section
      aria-labelledby={headingId}
      className={cx(
        'space-y-2 rounded-lg border border-dashed p-3',
        over ? 'border-brand bg-brand/5' : 'border-line',
      )}
      onDragOver={(e) => {
        if (!Array.from(e.dataTransfer.types).includes('Files')) return;
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      data-testid="attachments"
    >
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id={headingId} className="text-sm font-medium">
          Attachments{items.length > 0 && <span className="ml-1 text-muted">{items.length}</span>}
        </h2>
        <div className="flex items-center gap-2">
          <span className="hidden text-xs text-muted sm:inline">Drop files or paste an image, or</span>
          <AttachButton label="Attach files to the issue" onFiles={start} />
        </div>
      </div>
      <Transfers up={up} />
      {q.isPending ? (
        <p className="text-xs text-muted">Loading attachments…</p>
      ) : q.isError ? (
        <Banner tone="error">Attachments could not be loaded: {errorMessage(q.error)}</Banner>
      ) : items.length === 0 ? (
        <p className="text-xs text-muted">No files yet.</p>
      ) : (
        <AttachmentList issueId={issueId} items={items} dir={dir} label="Issue attachments" />
      )}
    </section>
  );
}

/** A comment's attachments, and (for its author) a button to attach more. */
export function CommentAttachments({
  issueId,
  commentId,
  dir,
  canAttach,
}: {
  issueId: string;
  commentId: string;
  dir: Directory;
  canAttach: boolean;
}) {
  const { slug } = useWorkspaceCtx();
  const q = useAttachments(slug, issueId);
  const up = useUploads(slug, issueId, commentId);
  const items = (q.data ?? []).filter((a) => a.comment_id === commentId);
  if (!canAttach && items.length === 0) return null;
  return (
    <div className="mt-1 space-y-1">
      {items.length > 0 && (
        <AttachmentList issueId={issueId} items={items} dir={dir} label="Comment attachments" />
      )}
      <Transfers up={up} />
      {canAttach && <AttachButton label="Attach files to this comment" onFiles={up.start} />}
    </div>
  );
}

async function downloadURL(issueId: string, attachmentId: string) {
  return unwrap(
    api().GET('/v1/issues/{issueId}/attachments/{attachmentId}/download', {
      params: { path: { issueId, attachmentId } },
    }),
  );
}

/** An image's preview through a short-lived download URL (refreshed before it expires). */
function Thumb({ issueId, a }: { issueId: string; a: Attachment }) {
  const { slug } = useWorkspaceCtx();
  const q = useQuery({
    queryKey: attachmentKeys.url(slug, a.id),
    queryFn: () => downloadURL(issueId, a.id),
    staleTime: 4 * 60_000,
    gcTime: 4 * 60_000,
  });
  return (
    <span className="flex size-14 shrink-0 items-center justify-center overflow-hidden rounded-md border border-line bg-panel">
      {q.data ? (
        <img
          src={q.data.url}
          alt={`Preview of ${a.filename}`}
          className="size-full object-cover"
          loading="lazy"
          decoding="async"
        />
      ) : (
        <Paperclip className="size-4 text-faint" aria-hidden />
      )}
    </span>
  );
}

function AttachmentList({
  issueId,
  items,
  dir,
  label,
}: {
  issueId: string;
  items: Attachment[];
  dir: Directory;
  label: string;
}) {
  const { slug, me } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [confirming, setConfirming] = useState<Attachment>();
  const [err, setErr] = useState<string>();
  const del = useMutation({
    mutationFn: (a: Attachment) =>
      unwrap(
        api().DELETE('/v1/issues/{issueId}/attachments/{attachmentId}', {
          params: { path: { issueId, attachmentId: a.id } },
        }),
      ),
    onSuccess: (_, a) => {
      qc.setQueryData<Attachment[]>(attachmentKeys.list(slug, issueId), (old) =>
        old?.filter((x) => x.id !== a.id),
      );
      setConfirming(undefined);
    },
  });
  const download = async (a: Attachment) => {
    setErr(undefined);
    try {
      const d = await downloadURL(issueId, a.id);
      const link = document.createElement('a');
      link.href = d.url;
      link.download = a.filename; // honoured on the same origin; elsewhere the URL's disposition decides
      link.rel = 'noopener';
      document.body.appendChild(link);
      link.click();
      link.remove();
    } catch (e) {
      setErr(`“${a.filename}” could not be downloaded: ${errorMessage(e)}`);
    }
  };

  return (
    <>
      {err && <Banner tone="error">{err}</Banner>}
      <ul className="divide-y divide-line" aria-label={label}>
        {items.map((a) => {
          const at = a.confirmed_at ?? a.created_at;
          return (
            <li key={a.id} className="flex items-center gap-3 py-2" data-testid="attachment">
              {isInlineImage(a.content_type) ? (
                <Thumb issueId={issueId} a={a} />
              ) : (
                <span className="flex size-14 shrink-0 items-center justify-center rounded-md border border-line bg-panel">
                  <FileText className="size-5 text-muted" aria-hidden />
                </span>
              )}
              <div className="min-w-0 flex-1 text-xs">
                <p className="truncate text-sm font-medium" title={a.filename}>
                  {a.filename}
                </p>
                <p className="text-muted">
                  <span>{formatBytes(a.size)}</span> · <span>{a.content_type}</span>
                </p>
                <p className="text-muted">
                  {dir.userName(a.uploader_id)} ·{' '}
                  <time dateTime={at} title={at}>
                    {format(parseISO(at), 'd MMM yyyy HH:mm')}
                  </time>
                </p>
              </div>
              <div className="flex shrink-0 items-center gap-1">
                <Button
                  size="sm"
                  variant="ghost"
                  aria-label={`Download ${a.filename}`}
                  onClick={() => void download(a)}
                >
                  <Download className="size-3" aria-hidden />
                  <span className="hidden sm:inline">Download</span>
                </Button>
                {canDeleteAttachment(me.user.role, me.user.id, a.uploader_id) && (
                  <Button
                    size="sm"
                    variant="ghost"
                    aria-label={`Delete ${a.filename}`}
                    onClick={() => (del.reset(), setConfirming(a))}
                  >
                    <Trash2 className="size-3" aria-hidden />
                  </Button>
                )}
              </div>
            </li>
          );
        })}
      </ul>
      <Modal
        open={!!confirming}
        onOpenChange={(o) => !o && setConfirming(undefined)}
        title="Delete attachment?"
        description={
          confirming
            ? `“${confirming.filename}” will be deleted for everyone. This cannot be undone.`
            : undefined
        }
      >
        <div className="space-y-3 p-4">
          {del.isError && <Banner tone="error">Not deleted: {errorMessage(del.error)}</Banner>}
          <DialogFooter
            action="Delete"
            variant="danger"
            busy={del.isPending}
            onCancel={() => setConfirming(undefined)}
            onAction={() => confirming && del.mutate(confirming)}
          />
        </div>
      </Modal>
    </>
  );
}
