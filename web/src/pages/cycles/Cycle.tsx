import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowLeft, ListPlus } from 'lucide-react';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { ChartCard } from '../../components/charts';
import { StatusIcon } from '../../components/issueIcons';
import { DialogFooter, Modal } from '../../components/Modal';
import { Badge, PageHeader, rowClass, Stat, tableClass, theadClass } from '../../components/page';
import { Banner, Button, EmptyState, ErrorState, inputClass, Skeleton } from '../../components/ui';
import { failures, type BulkResult } from '../../lib/bulk';
import {
  burnUp,
  progress,
  todayUTC,
  unitLabel,
  type Cycle,
  type CycleReport,
  type Tally,
} from '../../lib/cycles';
import { can } from '../../lib/permissions';
import { statusLabel } from '../../lib/workflow';
import { NotFoundPage } from '../NotFound';
import { bulkEdit } from '../workspace/bulkRun';
import { useWorkspaceCtx } from '../workspace/context';
import { keys, useDirectory, useProjects, useTeams, type Issue } from '../workspace/data';
import { CycleDialog } from './CycleDialog';
import { cycleDates, cycleKeys, useCycle, useCycleIssues, useCycleReport } from './data';

const stateTone = { active: 'green', upcoming: 'blue', completed: 'gray' } as const;

/** A cycle: its progress, the burn-up of its scope, its issues; plan issues in and out. */
export default function CyclePage() {
  const { slug, me } = useWorkspaceCtx();
  const { id = '' } = useParams();
  const cycle = useCycle(slug, id);
  const report = useCycleReport(slug, id);
  const projects = useProjects(slug);
  const teams = useTeams(slug);
  const [editing, setEditing] = useState(false);
  const [planning, setPlanning] = useState(false);

  if (cycle.isError && isApiError(cycle.error, 404)) return <NotFoundPage inWorkspace />;
  if (cycle.isError) return <ErrorState error={cycle.error} onRetry={() => void cycle.refetch()} />;
  if (cycle.isPending) return <Skeleton />;
  const c = cycle.data;
  const project = projects.data?.find((p) => p.id === c.project_id);
  const team = c.team_id ? teams.data?.find((t) => t.id === c.team_id) : undefined;
  const back = project
    ? { to: `?project=${project.key}`, label: `${project.key} cycles` }
    : c.team_id
      ? { to: `?team=${c.team_id}`, label: `${team?.name ?? 'Team'} cycles` }
      : { to: '', label: 'Cycles' };
  const open = c.state !== 'completed';

  return (
    <main aria-labelledby="page-title" className="min-h-0 flex-1 overflow-y-auto">
      <PageHeader
        title={
          <span className="flex flex-wrap items-center gap-2">
            <span id="page-title">{c.name}</span>
            <Badge tone={stateTone[c.state as keyof typeof stateTone] ?? 'gray'}>{c.state}</Badge>
          </span>
        }
        description={
          <span className="flex flex-wrap items-center gap-x-3">
            <Link
              to={`/w/${slug}/cycles${back.to}`}
              className="inline-flex items-center gap-1 hover:text-ink hover:underline"
            >
              <ArrowLeft className="size-3.5" aria-hidden /> {back.label}
            </Link>
            <span className="tabular-nums">{cycleDates(c)}</span>
          </span>
        }
        actions={
          <>
            {can(me.user.role, 'updateCycle') && (
              <Button size="sm" onClick={() => setEditing(true)}>
                Edit cycle
              </Button>
            )}
            {open && (
              <Button size="sm" variant="primary" onClick={() => setPlanning(true)}>
                <ListPlus className="size-3.5" aria-hidden /> Plan issues
              </Button>
            )}
          </>
        }
      />
      <div className="space-y-4 p-4 sm:px-6">
        {report.isPending ? (
          <Skeleton rows={4} />
        ) : report.isError ? (
          <ErrorState error={report.error} onRetry={() => void report.refetch()} />
        ) : (
          <Report r={report.data} />
        )}
        <Issues slug={slug} cycle={c} />
      </div>
      {editing && (
        <CycleDialog
          slug={slug}
          owner={c.team_id ? { kind: 'team', id: c.team_id } : { kind: 'project', id: c.project_id ?? '' }}
          cycle={c}
          onClose={() => setEditing(false)}
        />
      )}
      {planning && <PlanDialog slug={slug} cycle={c} onClose={() => setPlanning(false)} />}
    </main>
  );
}

const tally = (t: Tally) =>
  `${t.issues} ${t.issues === 1 ? 'issue' : 'issues'} · ${t.points} ${t.points === 1 ? 'point' : 'points'}`;

function Report({ r }: { r: CycleReport }) {
  const p = progress(r);
  const b = burnUp(r, todayUTC());
  const of = (t: Tally) => (p.unit === 'points' ? t.points : t.issues);
  return (
    <>
      {r.truncated && (
        <Banner tone="warn">
          This cycle has more scope changes than one report reads: the figures are partial.
        </Banner>
      )}
      <div className="rounded-lg border border-line bg-white px-4 py-3" data-testid="cycle-progress">
        <div className="flex items-baseline gap-2 text-sm">
          <span className="flex-1 font-medium">Progress</span>
          <span className="text-muted tabular-nums">
            {p.done} of {p.total} {unitLabel(p.unit)} completed ({p.pct} %)
          </span>
        </div>
        <div
          role="progressbar"
          aria-label="Cycle progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={p.pct}
          aria-valuetext={`${p.done} of ${p.total} ${unitLabel(p.unit)} completed`}
          className="mt-2 h-2 overflow-hidden rounded-full bg-panel"
        >
          <div className="h-full rounded-full bg-brand" style={{ width: `${Math.min(p.pct, 100)}%` }} />
        </div>
      </div>
      <div className="grid grid-cols-2 gap-3 md:grid-cols-5" data-testid="cycle-tallies">
        <Stat label="Committed at start" value={of(r.committed)} hint={tally(r.committed)} />
        <Stat label="Added" value={of(r.added)} hint={tally(r.added)} />
        <Stat label="Removed" value={of(r.removed)} hint={tally(r.removed)} />
        <Stat label="Scope" value={of(r.scope)} hint={tally(r.scope)} />
        <div className="col-span-2 md:col-span-1">
          <Stat label="Completed" value={of(r.completed)} hint={tally(r.completed)} />
        </div>
      </div>
      <ChartCard
        id="burn-up"
        title={`Burn-up (${unitLabel(b.unit)})`}
        kind="line"
        data={b.rows}
        x="day"
        xLabel="Day"
        series={[
          { key: 'scope', label: 'Scope', color: '#475569' },
          { key: 'completed', label: 'Completed', color: '#0f7b6c' },
        ]}
        dots
        note="From the cycle report's daily series: the scope and the completed work at the end of each day (today: as of now), and, while the cycle runs, today's scope carried to its last day."
      />
    </>
  );
}

function Issues({ slug, cycle }: { slug: string; cycle: Cycle }) {
  const issues = useCycleIssues(slug, cycle.id);
  const dir = useDirectory(slug);
  const qc = useQueryClient();
  const remove = useMutation({
    mutationFn: (i: Issue) => bulkEdit([i], { cycle_id: null }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: cycleKeys.all(slug) });
      await qc.invalidateQueries({ queryKey: keys.issues(slug) });
    },
  });
  const failed = remove.data ? failures(remove.data) : [];
  if (issues.isPending) return <Skeleton rows={4} />;
  if (issues.isError) return <ErrorState error={issues.error} onRetry={() => void issues.refetch()} />;
  return (
    <section aria-labelledby="cycle-issues" className="rounded-lg border border-line bg-white">
      <h2 id="cycle-issues" className="border-b border-line px-4 py-2.5 text-sm font-semibold">
        Issues <span className="font-normal text-muted">{issues.data.length}</span>
      </h2>
      {(remove.isError || failed.length > 0) && (
        <div className="p-3">
          <Banner tone="error">
            {remove.isError
              ? errorMessage(remove.error)
              : `Not removed: ${failed[0]?.detail ?? failed[0]?.code}`}
          </Banner>
        </div>
      )}
      {issues.data.length === 0 ? (
        <EmptyState title="No issues planned">
          {cycle.state === 'completed'
            ? 'Nothing was planned in this cycle.'
            : 'Plan issues into this cycle.'}
        </EmptyState>
      ) : (
        <div className="overflow-x-auto">
          <table className={tableClass} aria-label="Issues in the cycle">
            <thead className={theadClass}>
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">
                  Key
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Title
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Status
                </th>
                <th scope="col" className="hidden px-3 py-2 font-medium sm:table-cell">
                  Assignee
                </th>
                <th scope="col" className="px-3 py-2 text-right font-medium">
                  Estimate
                </th>
                {cycle.state !== 'completed' && (
                  <th scope="col" className="px-3 py-2">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {issues.data.map((i) => (
                <tr key={i.id} className={rowClass} data-testid="cycle-issue">
                  <td className="px-3 py-2 font-mono text-xs whitespace-nowrap text-muted">
                    <Link to={`/w/${slug}/issues/${i.key}`} className="hover:text-ink hover:underline">
                      {i.key}
                    </Link>
                  </td>
                  <td className="max-w-80 truncate px-3 py-2">{i.title}</td>
                  <td className="px-3 py-2 whitespace-nowrap">
                    <span className="inline-flex items-center gap-1.5">
                      <span aria-hidden>
                        <StatusIcon status={i.status} />
                      </span>
                      {statusLabel(i.status)}
                    </span>
                  </td>
                  <td className="hidden px-3 py-2 text-muted sm:table-cell">{dir.userName(i.assignee_id)}</td>
                  <td className="px-3 py-2 text-right tabular-nums">{i.estimate ?? '–'}</td>
                  {cycle.state !== 'completed' && (
                    <td className="px-3 py-2 text-right">
                      <Button
                        size="sm"
                        variant="ghost"
                        busy={remove.isPending && remove.variables?.id === i.id}
                        onClick={() => remove.mutate(i)}
                      >
                        Remove<span className="sr-only"> {i.key} from the cycle</span>
                      </Button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Adds issues of the cycle's project (or team) that are not in it, in one bulk edit. */
function PlanDialog({ slug, cycle, onClose }: { slug: string; cycle: Cycle; onClose: () => void }) {
  const qc = useQueryClient();
  const [q, setQ] = useState('');
  const [chosen, setChosen] = useState<Set<string>>(() => new Set());
  const [result, setResult] = useState<BulkResult | null>(null);
  const candidates = useQuery({
    queryKey: ['w', slug, 'issues', 'plan', cycle.id],
    queryFn: () =>
      unwrap(
        api().GET('/v1/issues', {
          params: {
            query: {
              ...(cycle.project_id ? { project: cycle.project_id } : { team: cycle.team_id }),
              category: 'unstarted,started',
              limit: 100,
            },
          },
        }),
      ),
  });
  const list = useMemo(() => {
    const words = q.trim().toLowerCase();
    return (candidates.data?.items ?? []).filter(
      (i) =>
        i.cycle_id !== cycle.id &&
        (!words || i.title.toLowerCase().includes(words) || i.key.toLowerCase().includes(words)),
    );
  }, [candidates.data, q, cycle.id]);
  const add = useMutation({
    mutationFn: () =>
      bulkEdit(
        (candidates.data?.items ?? []).filter((i) => chosen.has(i.id)),
        { cycle_id: cycle.id },
      ),
    onSuccess: async (r) => {
      await qc.invalidateQueries({ queryKey: cycleKeys.all(slug) });
      await qc.invalidateQueries({ queryKey: keys.issues(slug) });
      if (r.failed === 0) onClose();
      else {
        setResult(r);
        setChosen(new Set());
      }
    },
  });
  const failed = result ? failures(result) : [];
  return (
    <Modal open onOpenChange={(o) => !o && onClose()} title={`Plan issues into ${cycle.name}`} wide>
      <div className="space-y-3 p-4">
        <input
          aria-label="Filter issues"
          placeholder="Filter by title or key"
          className={inputClass}
          value={q}
          onChange={(e) => setQ(e.target.value)}
          autoFocus
        />
        {add.isError && <Banner tone="error">{errorMessage(add.error)}</Banner>}
        {result && (
          <Banner tone="warn">
            {result.succeeded} added, {result.failed} not added:
            <ul className="mt-1 list-inside list-disc" aria-label="Issues not added">
              {failed.map((f) => (
                <li key={f.ref}>
                  <span className="font-mono">{f.key ?? f.ref}</span>:{' '}
                  {f.detail ?? f.code ?? `HTTP ${f.status}`}
                </li>
              ))}
            </ul>
          </Banner>
        )}
        {candidates.isPending ? (
          <Skeleton rows={4} />
        ) : candidates.isError ? (
          <ErrorState error={candidates.error} onRetry={() => void candidates.refetch()} />
        ) : list.length === 0 ? (
          <p className="py-6 text-center text-sm text-muted">No open issue left to plan.</p>
        ) : (
          <fieldset className="max-h-[45vh] overflow-y-auto rounded-md border border-line">
            <legend className="sr-only">Open issues not in the cycle</legend>
            {list.map((i) => (
              <label
                key={i.id}
                className="flex cursor-pointer items-center gap-2 border-b border-line px-3 py-1.5 text-sm last:border-0 hover:bg-panel"
              >
                <input
                  type="checkbox"
                  checked={chosen.has(i.id)}
                  onChange={() =>
                    setChosen((s) => {
                      const n = new Set(s);
                      if (n.has(i.id)) n.delete(i.id);
                      else n.add(i.id);
                      return n;
                    })
                  }
                />
                <span className="font-mono text-xs text-muted">{i.key}</span>
                <span className="min-w-0 flex-1 truncate">{i.title}</span>
                {i.cycle_id && <span className="text-xs text-muted">in another cycle</span>}
                <span className="w-8 text-right text-xs text-muted tabular-nums">{i.estimate ?? ''}</span>
              </label>
            ))}
          </fieldset>
        )}
        {candidates.data?.next_cursor && (
          <p className="text-xs text-muted">The 100 most recently updated open issues are listed.</p>
        )}
        <DialogFooter
          onCancel={onClose}
          cancelLabel="Close"
          busy={add.isPending}
          disabled={chosen.size === 0}
          onAction={() => {
            setResult(null);
            add.mutate();
          }}
          action={`Add ${chosen.size} ${chosen.size === 1 ? 'issue' : 'issues'}`}
        />
      </div>
    </Modal>
  );
}
