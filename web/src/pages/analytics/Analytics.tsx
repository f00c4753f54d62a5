import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { NavLink, useParams, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { errorMessage } from '../../api/problem';
import { ChartPickers } from '../../components/ChartPickers';
import { ChartCard } from '../../components/charts';
import { PageHeader, Stat } from '../../components/page';
import { Banner, Button, cx, ErrorState, inputClass, Skeleton } from '../../components/ui';
import { duration, issueSeries, userRows, velocityRows, workloadRows } from '../../lib/analytics';
import { atLeast, can } from '../../lib/permissions';
import { NotFoundPage } from '../NotFound';
import { useWorkspaceCtx } from '../workspace/context';
import { useDirectory } from '../workspace/data';

const VIEWS = [
  { path: 'issues', label: 'Issues' },
  { path: 'teams', label: 'Teams' },
  { path: 'people', label: 'People' },
];

/** The workspace's analytics as charts: range and bucket in the URL, each chart's data as a table and CSV. */
export default function Analytics() {
  const { slug } = useWorkspaceCtx();
  const { view = 'issues' } = useParams();
  const [params, setParams] = useSearchParams();
  const range = { from: params.get('from') || undefined, to: params.get('to') || undefined };
  const bucket = params.get('bucket') || 'day';
  const set = (k: string, v: string) =>
    setParams(
      (p) => {
        const n = new URLSearchParams(p);
        if (v) n.set(k, v);
        else n.delete(k);
        return n;
      },
      { replace: true },
    );
  if (!VIEWS.some((v) => v.path === view)) return <NotFoundPage inWorkspace />;

  return (
    <main aria-labelledby="page-title" className="min-h-0 flex-1 overflow-y-auto">
      <PageHeader
        title={<span id="page-title">Analytics</span>}
        actions={
          <ChartPickers
            range={{ ...range, onChange: set }}
            bucket={view !== 'teams' ? { value: bucket, onChange: (v) => set('bucket', v) } : undefined}
          />
        }
      />
      <nav aria-label="Analytics" className="flex gap-1 border-b border-line px-4 sm:px-6">
        {VIEWS.map((v) => (
          <NavLink
            key={v.path}
            to={{ pathname: `/w/${slug}/analytics/${v.path}`, search: params.toString() }}
            className={({ isActive }) =>
              cx(
                '-mb-px border-b-2 px-2 py-2 text-sm',
                isActive
                  ? 'border-brand font-medium text-ink'
                  : 'border-transparent text-muted hover:text-ink',
              )
            }
          >
            {v.label}
          </NavLink>
        ))}
      </nav>
      <div className="space-y-4 p-4 sm:px-6">
        {view === 'issues' && (
          <IssuesView range={range} bucket={bucket} group={params.get('group') || 'priority'} set={set} />
        )}
        {view === 'teams' && <TeamsView range={range} team={params.get('team') || ''} set={set} />}
        {view === 'people' && (
          <PeopleView range={range} bucket={bucket} user={params.get('user') || ''} set={set} />
        )}
        <TimeZone />
      </div>
    </main>
  );
}

type Range = { from?: string; to?: string };
type Set = (k: string, v: string) => void;

function IssuesView({
  range,
  bucket,
  group,
  set,
}: {
  range: Range;
  bucket: string;
  group: string;
  set: Set;
}) {
  const { slug, me } = useWorkspaceCtx();
  const dir = useDirectory(slug);
  const report = useQuery({
    queryKey: ['w', slug, 'analytics', 'issues', range, bucket],
    queryFn: () => unwrap(api().GET('/v1/analytics/issues', { params: { query: { ...range, bucket } } })),
    placeholderData: (prev) => prev, // a new range or bucket keeps the charts (and open tables) in place
  });
  const admin = atLeast(me.user.role, 'admin'); // Admins may group by assignee
  const workload = useQuery({
    queryKey: ['w', slug, 'analytics', 'workload', group],
    queryFn: () => unwrap(api().GET('/v1/analytics/workload', { params: { query: { group_by: group } } })),
  });
  const name = (k: string) =>
    group === 'team'
      ? (dir.team(k)?.name ?? k)
      : group === 'assignee'
        ? k === 'none'
          ? 'Unassigned'
          : dir.userName(k)
        : k;
  if (report.isPending) return <Skeleton />;
  if (report.isError) return <ErrorState error={report.error} onRetry={() => void report.refetch()} />;
  const t = report.data.totals;
  const series = issueSeries(report.data);
  return (
    <>
      <p className="text-xs text-muted">
        {report.data.from} to {report.data.to}, {report.data.time_zone}
        {report.data.scope !== 'all' && ` · ${report.data.scope}`}
      </p>
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4" data-testid="issue-totals">
        <Stat label="Created" value={t.created} hint={`${t.creation_rate_per_day.toFixed(1)} a day`} />
        <Stat label="Resolved" value={t.resolved} hint={`${t.throughput_per_week.toFixed(1)} a week`} />
        <Stat label="Open at the end" value={t.backlog_end} hint={`${t.backlog_start} at the start`} />
        <Stat
          label="Lead time (median)"
          value={duration(t.lead_time.p50)}
          hint={`cycle ${duration(t.cycle_time.p50)} · first response ${duration(t.first_response_time.p50)}`}
        />
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <ChartCard
          id="created-resolved"
          title="Created and resolved"
          data={series}
          x="period"
          xLabel="Period"
          series={[
            { key: 'created', label: 'Created' },
            { key: 'resolved', label: 'Resolved' },
          ]}
        />
        <ChartCard
          id="backlog"
          title="Open issues"
          kind="line"
          data={series}
          x="period"
          xLabel="Period"
          series={[{ key: 'backlog', label: 'Open at the end of the period' }]}
        />
        <ChartCard
          id="lead-cycle"
          title="Lead and cycle time, median (hours)"
          kind="line"
          data={series}
          x="period"
          xLabel="Period"
          series={[
            { key: 'lead_p50_h', label: 'Lead time (h)' },
            { key: 'cycle_p50_h', label: 'Cycle time (h)' },
          ]}
        />
        {workload.isError ? (
          <ErrorState error={workload.error} onRetry={() => void workload.refetch()} />
        ) : (
          <ChartCard
            id="workload"
            title={`Open work by ${group}`}
            layout="vertical"
            stacked
            data={workload.data ? workloadRows(workload.data, name) : []}
            x="group"
            xLabel={group}
            series={[
              { key: 'open', label: 'Open' },
              { key: 'in_progress', label: 'In progress' },
            ]}
            empty={workload.isPending ? 'Loading…' : 'No open issues.'}
            controls={
              <ChartPickers
                inline
                compact
                choices={[
                  {
                    label: 'Open work by',
                    value: group,
                    onChange: (v) => set('group', v),
                    options: [
                      { value: 'priority', label: 'priority' },
                      { value: 'category', label: 'status category' },
                      { value: 'team', label: 'team' },
                      ...(admin ? [{ value: 'assignee', label: 'assignee' }] : []),
                    ],
                  },
                ]}
              />
            }
          />
        )}
      </div>
    </>
  );
}

function TeamsView({ range, team, set }: { range: Range; team: string; set: Set }) {
  const { slug } = useWorkspaceCtx();
  const dir = useDirectory(slug);
  const id = team || dir.teams[0]?.id || '';
  const v = useQuery({
    queryKey: ['w', slug, 'analytics', 'velocity', id, range],
    queryFn: () =>
      unwrap(
        api().GET('/v1/analytics/teams/{teamId}/velocity', {
          params: { path: { teamId: id }, query: range },
        }),
      ),
    enabled: !!id,
  });
  if (!dir.teams.length)
    return <Banner>No teams yet: create one under Settings → Teams to see its velocity.</Banner>;
  return (
    <>
      <ChartPickers
        inline
        choices={[
          {
            label: 'Team',
            value: id,
            onChange: (t) => set('team', t),
            options: dir.teams.map((t) => ({ value: t.id, label: t.name })),
          },
        ]}
      />
      {v.isPending ? (
        <Skeleton />
      ) : v.isError ? (
        <ErrorState error={v.error} onRetry={() => void v.refetch()} />
      ) : (
        <>
          <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
            <Stat label="Resolved a week (average)" value={v.data.average_per_week.toFixed(1)} />
            <Stat label="Resolved in the range" value={v.data.weeks.reduce((s, w) => s + w.resolved, 0)} />
          </div>
          <ChartCard
            id="velocity"
            title={`Velocity of ${dir.team(id)?.name ?? 'the team'}`}
            data={velocityRows(v.data)}
            x="week"
            xLabel="Week of"
            series={[{ key: 'resolved', label: 'Resolved' }]}
          />
        </>
      )}
    </>
  );
}

function PeopleView({ range, bucket, user, set }: { range: Range; bucket: string; user: string; set: Set }) {
  const { slug, me } = useWorkspaceCtx();
  const dir = useDirectory(slug);
  const admin = atLeast(me.user.role, 'admin'); // Admins see anyone's figures; others their own
  const id = admin && user ? user : me.user.id;
  const p = useQuery({
    queryKey: ['w', slug, 'analytics', 'user', id, range, bucket],
    queryFn: () =>
      unwrap(
        api().GET('/v1/analytics/users/{userId}', {
          params: { path: { userId: id }, query: { ...range, bucket } },
        }),
      ),
    placeholderData: (prev) => prev,
  });
  return (
    <>
      {admin && (
        <ChartPickers
          inline
          choices={[
            {
              label: 'Person',
              value: id,
              onChange: (u) => set('user', u),
              options: dir.users.map((u) => ({ value: u.id, label: u.display_name || u.email })),
            },
          ]}
        />
      )}
      {p.isPending ? (
        <Skeleton />
      ) : p.isError ? (
        <ErrorState error={p.error} onRetry={() => void p.refetch()} />
      ) : (
        <>
          <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
            <Stat label="Completed" value={p.data.completed} />
            <Stat
              label="Open now"
              value={p.data.workload.open}
              hint={`${p.data.workload.in_progress} in progress`}
            />
            <Stat label="First response (median)" value={duration(p.data.first_response_time.p50)} />
            <Stat label="Cycle time (median)" value={duration(p.data.cycle_time.p50)} />
          </div>
          <ChartCard
            id="person"
            title={`${id === me.user.id ? 'Your' : `${dir.userName(id)}'s`} completed issues and first responses`}
            data={userRows(p.data)}
            x="period"
            xLabel="Period"
            series={[
              { key: 'completed', label: 'Completed' },
              { key: 'first_responses', label: 'First responses' },
            ]}
          />
        </>
      )}
    </>
  );
}

/** The workspace's time zone for day boundaries (Super Admins change it). */
function TimeZone() {
  const { slug, me } = useWorkspaceCtx();
  const qc = useQueryClient();
  const key = ['w', slug, 'analytics', 'settings'];
  const s = useQuery({ queryKey: key, queryFn: () => unwrap(api().GET('/v1/analytics/settings')) });
  const [zone, setZone] = useState('');
  const put = useMutation({
    mutationFn: () => unwrap(api().PUT('/v1/analytics/settings', { body: { time_zone: zone } })),
    onSuccess: (d) => qc.setQueryData(key, d),
  });
  if (!s.data) return null;
  const edit = can(me.user.role, 'putAnalyticsSettings');
  return (
    <form
      className="flex flex-wrap items-center gap-2 border-t border-line pt-4 text-xs text-muted"
      onSubmit={(e) => {
        e.preventDefault();
        if (zone) put.mutate();
      }}
    >
      <span>
        Days are counted in <strong className="text-ink">{s.data.time_zone}</strong>
        {s.data.pending &&
          ` (${s.data.pending.time_zone} from ${new Date(s.data.pending.since).toLocaleTimeString('en-GB')})`}
        .
      </span>
      {edit && (
        <>
          <input
            aria-label="Time zone"
            list="zones"
            placeholder="Europe/Paris"
            className={`${inputClass} w-48`}
            value={zone}
            onChange={(e) => setZone(e.target.value)}
          />
          <datalist id="zones">
            {Intl.supportedValuesOf('timeZone').map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          <Button type="submit" size="sm" busy={put.isPending} disabled={!zone}>
            Change time zone
          </Button>
        </>
      )}
      {put.isError && <span className="text-red-700">{errorMessage(put.error)}</span>}
    </form>
  );
}
