import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { formatDistanceToNow } from 'date-fns';
import { Copy, Plus, Webhook } from 'lucide-react';
import { useRef, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap, type components } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { DialogFooter, Modal } from '../../components/Modal';
import { Badge, Card, PageHeader, rowClass, tableClass, theadClass } from '../../components/page';
import { Banner, Button, EmptyState, ErrorState, Field, Input, Skeleton } from '../../components/ui';
import { useWorkspaceCtx } from '../workspace/context';

type Endpoint = components['schemas']['Endpoint'];
type Delivery = components['schemas']['Delivery'];
type EventType = Endpoint['event_types'][number];

const EVENT_TYPES: { type: EventType; label: string }[] = [
  { type: 'issue.created', label: 'Issue created' },
  { type: 'issue.updated', label: 'Issue updated' },
  { type: 'issue.transitioned', label: 'Issue moved to another status' },
  { type: 'issue.deleted', label: 'Issue deleted' },
  { type: 'comment.created', label: 'Comment created' },
];

const hookKeys = {
  all: (slug: string) => ['w', slug, 'webhooks'] as const,
  deliveries: (slug: string, id: string, cursor: string) =>
    ['w', slug, 'webhooks', id, 'deliveries', cursor] as const,
};

/** The workspace's webhook endpoints (Admins): register one (its signing secret is shown once), turn it off
 * or on, rotate its secret, read its delivery log (`?hook=<id>`) and send a delivery again. */
export default function Webhooks() {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ title: string; value: string } | null>(null);
  const hooks = useQuery({
    queryKey: hookKeys.all(slug),
    queryFn: () => unwrap(api().GET('/v1/webhooks')),
  });
  const reload = () => qc.invalidateQueries({ queryKey: hookKeys.all(slug) });
  const toggle = useMutation({
    mutationFn: (e: Endpoint) =>
      unwrap(
        api().PATCH('/v1/webhooks/{webhookId}', {
          params: { path: { webhookId: e.id } },
          body: { enabled: e.state !== 'enabled' },
        }),
      ),
    onSuccess: reload,
  });
  const rotate = useMutation({
    mutationFn: (e: Endpoint) =>
      unwrap(api().POST('/v1/webhooks/{webhookId}/rotate-secret', { params: { path: { webhookId: e.id } } })),
    onSuccess: (r) => {
      setSecret({ title: 'New signing secret', value: r.secret });
      void reload();
    },
  });
  const remove = useMutation({
    mutationFn: (e: Endpoint) =>
      unwrap(api().DELETE('/v1/webhooks/{webhookId}', { params: { path: { webhookId: e.id } } })),
    onSuccess: () => {
      setParams({});
      void reload();
    },
  });
  const selected = params.get('hook');
  const err = toggle.error ?? rotate.error ?? remove.error;
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">Webhooks</span>}
        description="Endpoints that receive the workspace's events, signed as Standard Webhooks (HMAC-SHA256)."
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            <Plus className="size-4" aria-hidden /> New endpoint
          </Button>
        }
      />
      <div className="space-y-4 p-4 sm:px-6">
        {err && <Banner tone="error">{errorMessage(err)}</Banner>}
        {hooks.isPending ? (
          <Skeleton />
        ) : hooks.isError ? (
          <ErrorState error={hooks.error} onRetry={() => void hooks.refetch()} />
        ) : hooks.data.items.length === 0 ? (
          <EmptyState icon={<Webhook className="size-6" />} title="No webhook endpoints yet">
            Register an https endpoint to receive issue and comment events.
          </EmptyState>
        ) : (
          <table className={tableClass} aria-label="Webhook endpoints">
            <thead className={theadClass}>
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">
                  Endpoint
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Events
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  State
                </th>
                <th scope="col" className="px-3 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {hooks.data.items.map((e) => (
                <tr key={e.id} className={rowClass} data-testid="webhook-row">
                  <td className="max-w-xs px-3 py-2">
                    <div className="truncate font-mono text-xs" title={e.url}>
                      {e.url}
                    </div>
                    {e.description && <div className="text-xs text-muted">{e.description}</div>}
                  </td>
                  <td className="px-3 py-2 text-xs">
                    {EVENT_TYPES.filter((t) => e.event_types.includes(t.type))
                      .map((t) => t.type)
                      .join(', ')}
                  </td>
                  <td className="px-3 py-2">
                    <Badge tone={e.state === 'enabled' ? 'green' : 'red'}>{e.state}</Badge>
                    {e.disabled_reason && (
                      <div className="mt-0.5 text-xs text-muted">{e.disabled_reason}</div>
                    )}
                    {e.consecutive_failures > 0 && (
                      <div className="mt-0.5 text-xs text-muted">
                        {e.consecutive_failures} failures in a row
                      </div>
                    )}
                  </td>
                  <td className="px-3 py-2">
                    <div className="flex flex-wrap justify-end gap-1">
                      <Button size="sm" variant="ghost" onClick={() => setParams({ hook: e.id })}>
                        Deliveries<span className="sr-only"> of {e.url}</span>
                      </Button>
                      <Button
                        size="sm"
                        variant="ghost"
                        busy={toggle.isPending && toggle.variables?.id === e.id}
                        onClick={() => toggle.mutate(e)}
                      >
                        {e.state === 'enabled' ? 'Disable' : 'Enable'}
                        <span className="sr-only"> {e.url}</span>
                      </Button>
                      <Button
                        size="sm"
                        variant="ghost"
                        busy={rotate.isPending && rotate.variables?.id === e.id}
                        onClick={() => rotate.mutate(e)}
                      >
                        Rotate secret<span className="sr-only"> of {e.url}</span>
                      </Button>
                      <Button
                        size="sm"
                        variant="ghost"
                        busy={remove.isPending && remove.variables?.id === e.id}
                        onClick={() => window.confirm(`Delete the endpoint ${e.url}?`) && remove.mutate(e)}
                      >
                        Delete<span className="sr-only"> {e.url}</span>
                      </Button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {selected && hooks.data && (
          <DeliveryLog
            key={selected}
            endpoint={hooks.data.items.find((e) => e.id === selected)}
            id={selected}
            onClose={() => setParams({})}
          />
        )}
      </div>
      {creating && (
        <CreateDialog
          onClose={() => setCreating(false)}
          onCreated={(s) => {
            setCreating(false);
            setSecret({ title: 'Endpoint registered', value: s });
            void reload();
          }}
        />
      )}
      {secret && <SecretDialog {...secret} onClose={() => setSecret(null)} />}
    </main>
  );
}

function CreateDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (secret: string) => void }) {
  const [url, setURL] = useState('https://');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState<EventType[]>(['issue.created']);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const idem = useRef(crypto.randomUUID());
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api().POST('/v1/webhooks', {
          params: { header: { 'Idempotency-Key': idem.current } },
          body: { url: url.trim(), description: description.trim() || undefined, event_types: types },
        }),
      ),
    onSuccess: (r) => onCreated(r.secret),
    onError: (e) => {
      if (!isApiError(e)) return;
      setErrors(e.fieldErrors());
      // A refused request wrote nothing: the corrected draft is a new request (the same key with another
      // body would be refused as idempotency_key_reused).
      if (e.status >= 400 && e.status < 500) idem.current = crypto.randomUUID();
    },
  });
  const fieldShown = !!(errors.url || errors.description || errors.event_types);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!/^https:\/\/\S+$/.test(url.trim())) errs.url = 'An https URL.';
    if (types.length === 0) errs.event_types = 'Choose at least one event.';
    setErrors(errs);
    if (Object.keys(errs).length === 0) create.mutate();
  };
  return (
    <Modal open onOpenChange={(o) => !o && onClose()} title="New webhook endpoint">
      <form onSubmit={submit} noValidate className="space-y-4 p-4">
        {create.isError && !fieldShown && <Banner tone="error">{errorMessage(create.error)}</Banner>}
        <Field label="URL" hint="https only, at a public address." error={errors.url}>
          {(p) => <Input {...p} type="url" value={url} onChange={(e) => setURL(e.target.value)} autoFocus />}
        </Field>
        <Field label="Description" error={errors.description}>
          {(p) => <Input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <fieldset aria-describedby={errors.event_types ? 'event-types-error' : undefined}>
          <legend className="mb-1 text-xs font-medium">Events</legend>
          <div className="space-y-1">
            {EVENT_TYPES.map((t) => (
              <label key={t.type} className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={types.includes(t.type)}
                  onChange={(e) =>
                    setTypes((ts) => (e.target.checked ? [...ts, t.type] : ts.filter((x) => x !== t.type)))
                  }
                />
                {t.label} <span className="font-mono text-xs text-muted">{t.type}</span>
              </label>
            ))}
          </div>
          {errors.event_types && (
            <p id="event-types-error" role="alert" className="mt-1 text-xs text-red-700">
              {errors.event_types}
            </p>
          )}
        </fieldset>
        <DialogFooter onCancel={onClose} busy={create.isPending} action="Register endpoint" />
      </form>
    </Modal>
  );
}

function SecretDialog({ title, value, onClose }: { title: string; value: string; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <Modal
      open
      onOpenChange={(o) => !o && onClose()}
      title={title}
      description="Copy the signing secret now: it is not shown again."
    >
      <div className="space-y-3 p-4">
        <p className="text-sm">
          Your receiver verifies each delivery's <code className="font-mono text-xs">webhook-signature</code>{' '}
          with it. After a rotation the previous secret keeps signing beside the new one for 24 hours.
        </p>
        <div className="flex items-center gap-2">
          <code
            data-testid="webhook-secret"
            className="min-w-0 flex-1 truncate rounded bg-panel px-2 py-1 font-mono text-xs"
          >
            {value}
          </code>
          <Button
            size="sm"
            onClick={() =>
              void navigator.clipboard?.writeText(value).then(
                () => setCopied(true),
                () => undefined,
              )
            }
          >
            <Copy className="size-3.5" aria-hidden /> {copied ? 'Copied' : 'Copy'}
          </Button>
        </div>
        <div className="flex justify-end">
          <Button variant="primary" onClick={onClose}>
            Done
          </Button>
        </div>
      </div>
    </Modal>
  );
}

function DeliveryLog({ id, endpoint, onClose }: { id: string; endpoint?: Endpoint; onClose: () => void }) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1) ?? '';
  const log = useQuery({
    queryKey: hookKeys.deliveries(slug, id, cursor),
    queryFn: () =>
      unwrap(
        api().GET('/v1/webhooks/{webhookId}/deliveries', {
          params: { path: { webhookId: id }, query: { limit: 25, cursor: cursor || undefined } },
        }),
      ),
  });
  const redeliver = useMutation({
    mutationFn: (d: Delivery) =>
      unwrap(
        api().POST('/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver', {
          params: { path: { webhookId: id, deliveryId: d.id } },
        }),
      ),
    // The attempt runs from the queue: look again shortly.
    onSuccess: () =>
      setTimeout(() => void qc.invalidateQueries({ queryKey: ['w', slug, 'webhooks', id] }), 1500),
  });
  return (
    <Card
      id="deliveries"
      title={<>Deliveries{endpoint && <span className="font-normal text-muted"> · {endpoint.url}</span>}</>}
      actions={
        <div className="flex gap-1">
          <Button size="sm" variant="ghost" onClick={() => void log.refetch()}>
            Refresh
          </Button>
          <Button size="sm" variant="ghost" onClick={onClose}>
            Close
          </Button>
        </div>
      }
    >
      {redeliver.isError && <Banner tone="error">{errorMessage(redeliver.error)}</Banner>}
      {redeliver.isSuccess && <Banner>Delivery queued.</Banner>}
      {log.isPending ? (
        <Skeleton rows={4} />
      ) : log.isError ? (
        <ErrorState error={log.error} onRetry={() => void log.refetch()} />
      ) : log.data.items.length === 0 ? (
        <p className="text-sm text-muted">No deliveries yet: they appear when a subscribed event happens.</p>
      ) : (
        <ul aria-label="Deliveries" className="divide-y divide-line">
          {log.data.items.map((d) => (
            <li key={d.id} data-testid="delivery" className="py-2">
              <div className="flex flex-wrap items-center gap-2 text-sm">
                <span className="font-mono text-xs">{d.event_type}</span>
                <Badge tone={d.status === 'succeeded' ? 'green' : d.status === 'failed' ? 'red' : 'amber'}>
                  {d.status}
                </Badge>
                <time dateTime={d.created_at} className="text-xs text-muted">
                  {formatDistanceToNow(new Date(d.created_at), { addSuffix: true })}
                </time>
                <span className="flex-1" />
                <Button
                  size="sm"
                  busy={redeliver.isPending && redeliver.variables?.id === d.id}
                  onClick={() => redeliver.mutate(d)}
                >
                  Redeliver
                  <span className="sr-only">
                    {' '}
                    {d.event_type} of {d.created_at}
                  </span>
                </Button>
              </div>
              {d.attempts.length > 0 && (
                <table
                  className="mt-1 w-full text-xs"
                  aria-label={`Attempts of ${d.event_type} at ${d.created_at}`}
                >
                  <thead className="text-muted">
                    <tr>
                      <th scope="col" className="text-left font-medium">
                        #
                      </th>
                      <th scope="col" className="text-left font-medium">
                        When
                      </th>
                      <th scope="col" className="text-left font-medium">
                        Answer
                      </th>
                      <th scope="col" className="text-right font-medium">
                        Time
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.attempts.map((a, i) => (
                      <tr key={i} data-testid="attempt">
                        <td>
                          {a.attempt}
                          {a.manual && ' (manual)'}
                        </td>
                        <td>{new Date(a.at).toLocaleString()}</td>
                        <td>{a.status_code ? `HTTP ${a.status_code}` : (a.error ?? '—')}</td>
                        <td className="text-right">{a.duration_ms} ms</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </li>
          ))}
        </ul>
      )}
      {log.data && (cursors.length > 0 || log.data.next_cursor) && (
        <div className="mt-2 flex gap-2">
          {cursors.length > 0 && (
            <Button size="sm" onClick={() => setCursors((c) => c.slice(0, -1))}>
              Newer
            </Button>
          )}
          {log.data.next_cursor && (
            <Button size="sm" onClick={() => setCursors((c) => [...c, log.data.next_cursor!])}>
              Older
            </Button>
          )}
        </div>
      )}
    </Card>
  );
}
