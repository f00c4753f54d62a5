import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { UsersRound, X } from 'lucide-react';
import { useRef, useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { Modal } from '../../components/Modal';
import { CatalogPage } from '../../components/CatalogPage';
import { Card } from '../../components/page';
import { Avatar, Banner, Button, ErrorState, Field, Input, inputClass, Spinner } from '../../components/ui';
import { can } from '../../lib/permissions';
import { useWorkspaceCtx } from '../workspace/context';
import { keys, useDirectory, useTeams, type Team } from '../workspace/data';

/** Teams and who is in them (Admins and Super Admins create, rename, delete and staff them). */
export default function Teams() {
  const { slug, me } = useWorkspaceCtx();
  const teams = useTeams(slug);
  const manage = can(me.user.role, 'createTeam');
  const [editing, setEditing] = useState<Team | 'new' | null>(null);
  return (
    <CatalogPage
      title="Teams"
      description="Group people to assign and report on work together."
      newLabel="New team"
      onNew={manage ? () => setEditing('new') : undefined}
      query={teams}
      className="space-y-4"
      empty={{
        icon: <UsersRound className="size-6" />,
        title: 'No teams yet',
        body: manage ? 'Create one to group people.' : 'Admins create teams.',
      }}
      after={
        manage &&
        editing && (
          <TeamDialog team={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />
        )
      }
    >
      {(items) =>
        items.map((t) => <TeamCard key={t.id} team={t} manage={manage} onEdit={() => setEditing(t)} />)
      }
    </CatalogPage>
  );
}

function TeamCard({ team, manage, onEdit }: { team: Team; manage: boolean; onEdit: () => void }) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const dir = useDirectory(slug);
  const [adding, setAdding] = useState('');
  const members = useQuery({
    queryKey: [...keys.teams(slug), team.id, 'members'],
    queryFn: () =>
      unwrap(
        api().GET('/v1/teams/{teamId}/members', {
          params: { path: { teamId: team.id }, query: { limit: 100 } },
        }),
      ),
  });
  const refresh = () => qc.invalidateQueries({ queryKey: [...keys.teams(slug), team.id, 'members'] });
  const add = useMutation({
    mutationFn: (userId: string) =>
      unwrap(
        api().PUT('/v1/teams/{teamId}/members/{userId}', { params: { path: { teamId: team.id, userId } } }),
      ),
    onSuccess: async () => {
      setAdding('');
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (userId: string) =>
      unwrap(
        api().DELETE('/v1/teams/{teamId}/members/{userId}', {
          params: { path: { teamId: team.id, userId } },
        }),
      ),
    onSuccess: refresh,
  });
  const ids = new Set(members.data?.items.map((m) => m.user_id));
  const candidates = dir.users.filter((u) => !ids.has(u.id) && u.status !== 'disabled');
  const err = add.error ?? remove.error;
  return (
    <Card
      id={`team-${team.id}`}
      title={team.name}
      actions={
        manage && (
          <Button size="sm" variant="ghost" onClick={onEdit}>
            Edit<span className="sr-only"> {team.name}</span>
          </Button>
        )
      }
    >
      {team.description && <p className="mb-3 text-sm text-muted">{team.description}</p>}
      {members.isPending ? (
        <Spinner />
      ) : members.isError ? (
        <ErrorState error={members.error} onRetry={() => void members.refetch()} />
      ) : (
        <ul aria-label={`Members of ${team.name}`} className="flex flex-wrap gap-2">
          {members.data.items.length === 0 && <li className="text-sm text-muted">No members yet.</li>}
          {members.data.items.map((m) => {
            const name = dir.userName(m.user_id);
            return (
              <li
                key={m.user_id}
                className="flex items-center gap-1.5 rounded-full border border-line py-0.5 pr-1 pl-1 text-sm"
              >
                <Avatar name={name} />
                {name}
                {manage && (
                  <button
                    type="button"
                    aria-label={`Remove ${name} from ${team.name}`}
                    className="rounded-full p-0.5 text-muted hover:bg-panel hover:text-ink"
                    onClick={() => remove.mutate(m.user_id)}
                  >
                    <X className="size-3" aria-hidden />
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {manage && candidates.length > 0 && (
        <form
          className="mt-3 flex items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (adding) add.mutate(adding);
          }}
        >
          <select
            aria-label={`Add a member to ${team.name}`}
            className={`${inputClass} w-auto`}
            value={adding}
            onChange={(e) => setAdding(e.target.value)}
          >
            <option value="">Add a member…</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.display_name || u.email}
              </option>
            ))}
          </select>
          <Button type="submit" size="sm" disabled={!adding} busy={add.isPending}>
            Add
          </Button>
        </form>
      )}
      {err && (
        <p role="alert" className="mt-2 text-xs text-red-700">
          {errorMessage(err)}
        </p>
      )}
    </Card>
  );
}

function TeamDialog({ team, onClose }: { team?: Team; onClose: () => void }) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [name, setName] = useState(team?.name ?? '');
  const [description, setDescription] = useState(team?.description ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const idem = useRef(crypto.randomUUID());
  const done = async () => {
    onClose();
    await qc.invalidateQueries({ queryKey: keys.teams(slug) });
  };
  const save = useMutation({
    mutationFn: () => {
      const body = { name: name.trim(), description: description.trim() };
      return team
        ? unwrap(api().PATCH('/v1/teams/{teamId}', { params: { path: { teamId: team.id } }, body }))
        : unwrap(api().POST('/v1/teams', { params: { header: { 'Idempotency-Key': idem.current } }, body }));
    },
    onSuccess: done,
    onError: (e) => isApiError(e) && setErrors(e.fieldErrors()),
  });
  const del = useMutation({
    mutationFn: () => unwrap(api().DELETE('/v1/teams/{teamId}', { params: { path: { teamId: team!.id } } })),
    onSuccess: done,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setErrors({ name: 'Give the team a name.' });
    setErrors({});
    save.mutate();
  };
  const err = save.error ?? del.error;
  return (
    <Modal open onOpenChange={(o) => !o && onClose()} title={team ? `Edit ${team.name}` : 'New team'}>
      <form onSubmit={submit} noValidate className="space-y-4 p-4">
        {err && !Object.keys(errors).length && <Banner tone="error">{errorMessage(err)}</Banner>}
        <Field label="Name" error={errors.name}>
          {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} autoFocus />}
        </Field>
        <Field label="Description" error={errors.description}>
          {(p) => <Input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <div className="flex items-center gap-2">
          {team && (
            <Button type="button" variant="danger" busy={del.isPending} onClick={() => del.mutate()}>
              Delete team
            </Button>
          )}
          <span className="flex-1" />
          <Button type="button" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {team ? 'Save' : 'Create team'}
          </Button>
        </div>
      </form>
    </Modal>
  );
}
