import { CalendarRange, Plus } from 'lucide-react';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ChartCard } from '../../components/charts';
import { Badge, PageHeader, Stat } from '../../components/page';
import { ProjectPicker } from '../../components/ProjectPicker';
import { Button, EmptyState, ErrorState, Skeleton } from '../../components/ui';
import { cycleOwner, nextCycle, ownerParams, type CycleOwner } from '../../lib/cycleOwner';
import { sections, unitLabel, velocitySeries, type Cycle } from '../../lib/cycles';
import { can } from '../../lib/permissions';
import { useWorkspaceCtx } from '../workspace/context';
import { useProjects, useTeams } from '../workspace/data';
import { CycleDialog } from './CycleDialog';
import { cycleDates, useOwnerCycles, useVelocity } from './data';

/** A project's or a team's cycles (current, upcoming, past) and its velocity per cycle; Admins plan
 * new ones. The owner is in the URL: `?project=WEB` or `?team=<id>`. */
export default function Cycles() {
  const { slug, me } = useWorkspaceCtx();
  const [params, setParams] = useSearchParams();
  const projects = useProjects(slug);
  const teams = useTeams(slug);
  const owner = cycleOwner(params, projects.data, teams.data);
  const cycles = useOwnerCycles(slug, owner);
  const manage = can(me.user.role, 'createCycle');
  const [editing, setEditing] = useState<Cycle | 'new' | null>(null);

  const picker = (
    <ProjectPicker
      label="Cycles of"
      projects={projects.data}
      teams={teams.data}
      value={owner?.pick}
      onChange={(v) => setParams(ownerParams(v), { replace: true })}
    />
  );

  let body;
  if (projects.isPending || (owner && cycles.isPending)) body = <Skeleton />;
  else if (projects.isError)
    body = <ErrorState error={projects.error} onRetry={() => void projects.refetch()} />;
  else if (!owner)
    body = (
      <EmptyState icon={<CalendarRange className="size-6" />} title="No projects yet">
        Cycles belong to a project or a team: create one under Settings → Projects or Teams.
      </EmptyState>
    );
  else if (cycles.isError) body = <ErrorState error={cycles.error} onRetry={() => void cycles.refetch()} />;
  else {
    const s = sections(cycles.data ?? []);
    body =
      cycles.data?.length === 0 ? (
        <EmptyState icon={<CalendarRange className="size-6" />} title={`No cycles in ${owner.name} yet`}>
          A cycle is a time box of planned issues, usually one or two weeks.
          {manage && (
            <div className="mt-3">
              <Button variant="primary" size="sm" onClick={() => setEditing('new')}>
                <Plus className="size-3.5" aria-hidden /> New cycle
              </Button>
            </div>
          )}
        </EmptyState>
      ) : (
        <div className="space-y-6 p-4 sm:px-6">
          <Section title="Current" cycles={s.current} slug={slug} onEdit={manage ? setEditing : undefined} />
          <Section
            title="Upcoming"
            cycles={s.upcoming}
            slug={slug}
            onEdit={manage ? setEditing : undefined}
          />
          <Section title="Past" cycles={s.past} slug={slug} onEdit={manage ? setEditing : undefined} />
          <Velocity slug={slug} owner={owner} />
        </div>
      );
  }

  const last = [...(cycles.data ?? [])].sort((a, b) => b.ends_on.localeCompare(a.ends_on))[0];
  return (
    <main aria-labelledby="page-title" className="min-h-0 flex-1 overflow-y-auto">
      <PageHeader
        title={<span id="page-title">Cycles</span>}
        description={
          owner
            ? `Time boxes of ${owner.kind === 'team' ? `the team ${owner.name}` : owner.name}: plan issues into them, follow their scope.`
            : undefined
        }
        actions={
          <>
            {picker}
            {manage && owner && (
              <Button variant="primary" size="sm" onClick={() => setEditing('new')}>
                <Plus className="size-3.5" aria-hidden /> New cycle
              </Button>
            )}
          </>
        }
      />
      {body}
      {editing && owner && (
        <CycleDialog
          slug={slug}
          owner={owner}
          cycle={editing === 'new' ? undefined : editing}
          suggested={editing === 'new' ? nextCycle(last, (cycles.data?.length ?? 0) + 1) : undefined}
          onClose={() => setEditing(null)}
        />
      )}
    </main>
  );
}

const stateTone = { active: 'green', upcoming: 'blue', completed: 'gray' } as const;

function Section({
  title,
  cycles,
  slug,
  onEdit,
}: {
  title: string;
  cycles: Cycle[];
  slug: string;
  onEdit?: (c: Cycle) => void;
}) {
  const id = `cycles-${title.toLowerCase()}`;
  return (
    <section aria-labelledby={id}>
      <h2 id={id} className="mb-2 text-xs font-semibold tracking-wide text-muted uppercase">
        {title} <span className="font-normal">{cycles.length}</span>
      </h2>
      {cycles.length === 0 ? (
        <p className="text-sm text-muted">No {title.toLowerCase()} cycle.</p>
      ) : (
        <ul className="divide-y divide-line rounded-lg border border-line bg-white">
          {cycles.map((c) => (
            <li key={c.id} className="flex items-center gap-3 px-3 py-2" data-testid="cycle-row">
              <div className="min-w-0 flex-1 sm:flex sm:items-baseline sm:gap-3">
                <Link to={`/w/${slug}/cycles/${c.id}`} className="block truncate font-medium hover:underline">
                  {c.name}
                </Link>
                <span className="block text-xs text-muted tabular-nums sm:text-sm">{cycleDates(c)}</span>
              </div>
              <Badge tone={stateTone[c.state as keyof typeof stateTone] ?? 'gray'}>{c.state}</Badge>
              {onEdit && (
                <Button size="sm" variant="ghost" onClick={() => onEdit(c)}>
                  Edit<span className="sr-only"> {c.name}</span>
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Velocity({ slug, owner }: { slug: string; owner: CycleOwner }) {
  const v = useVelocity(slug, owner);
  if (v.isPending) return <Skeleton rows={3} />;
  if (v.isError) return <ErrorState error={v.error} onRetry={() => void v.refetch()} />;
  const { unit, rows, average } = velocitySeries(v.data);
  return (
    <section aria-label="Velocity" className="space-y-3">
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Stat
          label="Average completed per cycle"
          value={`${Math.round(average * 10) / 10} ${unitLabel(unit)}`}
          hint={`over the last ${rows.length} completed ${rows.length === 1 ? 'cycle' : 'cycles'}`}
        />
      </div>
      <ChartCard
        id="cycle-velocity"
        title={`Velocity per cycle (${unitLabel(unit)})`}
        data={rows}
        x="cycle"
        xLabel="Cycle"
        series={[
          { key: 'committed', label: 'Committed' },
          { key: 'completed', label: 'Completed' },
        ]}
        empty="No completed cycle yet: velocity shows once a cycle ends."
      />
    </section>
  );
}
