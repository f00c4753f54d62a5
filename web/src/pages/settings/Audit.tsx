import { useInfiniteQuery } from '@tanstack/react-query';
import { Download } from 'lucide-react';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { errorMessage } from '../../api/problem';
import { AuditTable } from '../../components/AuditLog';
import { Card, PageHeader } from '../../components/page';
import { Banner, Button, ErrorState, Spinner } from '../../components/ui';
import { exportAudit } from '../../lib/audit';
import { can } from '../../lib/permissions';
import { useWorkspaceCtx } from '../workspace/context';

/** The workspace's audit log (Admin and up); Super Admins of tiers with audit export download it. */
export default function Audit() {
  const { slug, me } = useWorkspaceCtx();
  const a = useInfiniteQuery({
    queryKey: ['w', slug, 'audit'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(api().GET('/v1/audit', { params: { query: { limit: 50, cursor: pageParam } } })),
    getNextPageParam: (p) => p.next_cursor,
  });
  const items = a.data?.pages.flatMap((p) => p.items) ?? [];
  const mayExport = can(me.user.role, 'exportAudit');
  const tierExports = me.limits.features.includes('audit_export');
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">Audit log</span>}
        description="Who did what to this workspace: its people's changes, the provider's actions and the platform's steps."
      />
      <div className="space-y-4 p-4 sm:px-6">
        {mayExport &&
          (tierExports ? (
            <ExportButtons slug={slug} />
          ) : (
            <Banner tone="info">
              The {me.tenant.tier} plan does not include audit export. Premium and Platinum download the log
              as CSV or JSON.
            </Banner>
          ))}
        <Card id="audit" title="Records, newest first">
          {a.isPending ? (
            <Spinner />
          ) : a.isError ? (
            <ErrorState error={a.error} onRetry={() => void a.refetch()} />
          ) : items.length === 0 ? (
            <p className="text-sm text-muted">Nothing recorded yet.</p>
          ) : (
            <AuditTable
              items={items}
              hasMore={!!a.hasNextPage}
              loadingMore={a.isFetchingNextPage}
              onMore={() => void a.fetchNextPage()}
            />
          )}
        </Card>
      </div>
    </main>
  );
}

function ExportButtons({ slug }: { slug: string }) {
  const [busy, setBusy] = useState<'csv' | 'json' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async (format: 'csv' | 'json') => {
    setBusy(format);
    setError(null);
    try {
      const file = await exportAudit(format);
      const url = URL.createObjectURL(file);
      const link = document.createElement('a');
      link.href = url;
      link.download = `audit-${slug}.${format}`;
      link.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="flex flex-wrap items-center gap-2">
      <Button size="sm" busy={busy === 'csv'} onClick={() => void run('csv')}>
        <Download className="size-3.5" aria-hidden /> Export CSV
      </Button>
      <Button size="sm" busy={busy === 'json'} onClick={() => void run('json')}>
        <Download className="size-3.5" aria-hidden /> Export JSON
      </Button>
      {error != null && <Banner tone="error">{errorMessage(error)}</Banner>}
    </div>
  );
}
