import { useQuery } from '@tanstack/react-query';
import { Navigate, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ErrorState, Skeleton } from '../../components/ui';
import { formatFilters } from '../../lib/filters';
import { filtersFromView } from '../../lib/views';
import { useWorkspaceCtx } from './context';
import { keys } from './data';

/** /w/<slug>/views/<id>: the issue list with the saved view's filters, sort, grouping and columns. */
export default function OpenView() {
  const { slug } = useWorkspaceCtx();
  const { id = '' } = useParams();
  const v = useQuery({
    queryKey: [...keys.views(slug), id],
    queryFn: () => unwrap(api().GET('/v1/views/{viewId}', { params: { path: { viewId: id } } })),
  });
  if (v.isPending) return <Skeleton rows={12} />;
  if (v.isError) return <ErrorState error={v.error} onRetry={() => void v.refetch()} />;
  const p = formatFilters(filtersFromView(v.data));
  p.set('view', v.data.id);
  return <Navigate to={`/w/${slug}/issues?${p.toString()}`} replace />;
}
