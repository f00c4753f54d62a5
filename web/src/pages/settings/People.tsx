import { useMutation, useQueryClient } from '@tanstack/react-query';
import { UserPlus, Users } from 'lucide-react';
import { useRef, useState, type FormEvent } from 'react';
import { api, etag, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { Modal } from '../../components/Modal';
import { TableHead } from '../../components/CatalogPage';
import { Gauge, PageHeader, rowClass, StatusBadge, tableClass } from '../../components/page';
import {
  Avatar,
  Banner,
  Button,
  EmptyState,
  ErrorState,
  Field,
  Input,
  inputClass,
  Skeleton,
} from '../../components/ui';
import { can } from '../../lib/permissions';
import { useWorkspaceCtx } from '../workspace/context';
import { keys, useUsers, type User } from '../workspace/data';

export const ROLES = [
  { value: 'user', label: 'User' },
  { value: 'admin', label: 'Admin' },
  { value: 'super_admin', label: 'Super Admin' },
];
const roleLabel = (r: string) => ROLES.find((x) => x.value === r)?.label ?? r;

/** The workspace's people and seats. Admins see them; Super Admins invite, change roles, disable and remove. */
export default function People() {
  const { slug, me } = useWorkspaceCtx();
  const users = useUsers(slug);
  const [inviting, setInviting] = useState(false);
  const manage = can(me.user.role, 'inviteUser');
  const max = me.limits.max_users;
  const used = users.data?.length ?? 0;
  const full = max > 0 && used >= max;

  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">People</span>}
        description={
          manage ? 'Invite people, set their roles, disable or remove them.' : 'Who is in the workspace.'
        }
        actions={
          manage && (
            <Button variant="primary" onClick={() => setInviting(true)}>
              <UserPlus className="size-4" aria-hidden /> Invite
            </Button>
          )
        }
      />
      <div className="space-y-4 p-4 sm:px-6">
        <div className="max-w-md" data-testid="seats">
          <Gauge label="Seats" used={used} limit={max} />
          <p className="mt-1 text-xs text-muted">
            {max > 0
              ? `${used} of ${max} seats on the ${me.tenant.tier} plan are taken.`
              : `${used} people; the ${me.tenant.tier} plan has no seat limit.`}
          </p>
        </div>
        {full && manage && (
          <Banner tone="warn">
            Every seat of your plan is taken: remove someone or upgrade the plan to invite more people.
          </Banner>
        )}
        {users.isPending ? (
          <Skeleton />
        ) : users.isError ? (
          <ErrorState error={users.error} onRetry={() => void users.refetch()} />
        ) : users.data.length === 0 ? (
          <EmptyState icon={<Users className="size-6" />} title="Nobody yet" />
        ) : (
          <div className="overflow-x-auto">
            <table className={tableClass} aria-label="People">
              <TableHead
                columns={[
                  'Person',
                  'Role',
                  'Status',
                  'Two-factor',
                  ...(manage ? [{ label: 'Actions', hidden: true as const }] : []),
                ]}
              />
              <tbody>
                {users.data.map((u) => (
                  <Row key={u.id} u={u} actions={manage} manage={manage && u.id !== me.user.id} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {manage && <InviteDialog open={inviting} onClose={() => setInviting(false)} />}
    </main>
  );
}

function Row({ u, manage, actions }: { u: User; manage: boolean; actions: boolean }) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [removing, setRemoving] = useState(false);
  const done = () => qc.invalidateQueries({ queryKey: keys.users(slug) });
  const path = { userId: u.id };
  // Every change carries the version shown (If-Match): a 412 says someone changed the user since.
  const header = { 'If-Match': etag(u.version) };
  const role = useMutation({
    mutationFn: (r: string) =>
      unwrap(api().PUT('/v1/users/{userId}/role', { params: { path, header }, body: { role: r } })),
    onSuccess: done,
  });
  const toggle = useMutation({
    mutationFn: () =>
      u.status === 'disabled'
        ? unwrap(api().POST('/v1/users/{userId}/enable', { params: { path, header } }))
        : unwrap(api().POST('/v1/users/{userId}/disable', { params: { path, header } })),
    onSuccess: done,
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api().DELETE('/v1/users/{userId}', { params: { path, header } })),
    onSuccess: async () => {
      setRemoving(false);
      await done();
    },
  });
  const name = u.display_name || u.email;
  const err = role.error ?? toggle.error;
  return (
    <tr className={rowClass} data-testid="person-row">
      <td className="px-3 py-2">
        <div className="flex items-center gap-2">
          <Avatar name={name} size="md" />
          <div className="min-w-0">
            <div className="truncate font-medium">{name}</div>
            {u.display_name && <div className="truncate text-xs text-muted">{u.email}</div>}
          </div>
        </div>
      </td>
      <td className="px-3 py-2">
        {manage ? (
          <select
            aria-label={`Role of ${name}`}
            className={`${inputClass} w-auto min-w-28 py-1`}
            value={u.role}
            disabled={role.isPending}
            onChange={(e) => role.mutate(e.target.value)}
          >
            {ROLES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        ) : (
          roleLabel(u.role)
        )}
        {err && (
          <p role="alert" className="mt-1 text-xs text-red-700">
            {errorMessage(err)}
          </p>
        )}
      </td>
      <td className="px-3 py-2">
        <StatusBadge status={u.status} />
      </td>
      <td className="px-3 py-2 text-xs text-muted">{u.mfa_enabled_at ? 'On' : 'Off'}</td>
      {actions && (
        <td className="px-3 py-2 text-right whitespace-nowrap">
          {manage && (
            <>
              <Button size="sm" variant="ghost" busy={toggle.isPending} onClick={() => toggle.mutate()}>
                {u.status === 'disabled' ? 'Enable' : 'Disable'}
                <span className="sr-only"> {name}</span>
              </Button>
              <Button size="sm" variant="ghost" onClick={() => setRemoving(true)}>
                Remove<span className="sr-only"> {name}</span>
              </Button>
              <Modal
                open={removing}
                onOpenChange={setRemoving}
                title={`Remove ${name}?`}
                description="They can no longer sign in and their seat is freed. Their issues and comments stay."
              >
                <div className="space-y-3 p-4">
                  {remove.isError && <Banner tone="error">{errorMessage(remove.error)}</Banner>}
                  <div className="flex justify-end gap-2">
                    <Button onClick={() => setRemoving(false)}>Cancel</Button>
                    <Button variant="danger" busy={remove.isPending} onClick={() => remove.mutate()}>
                      Remove
                    </Button>
                  </div>
                </div>
              </Modal>
            </>
          )}
        </td>
      )}
    </tr>
  );
}

function InviteDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState('user');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const idem = useRef(crypto.randomUUID());
  const invite = useMutation({
    mutationFn: () =>
      unwrap(
        api().POST('/v1/users', {
          params: { header: { 'Idempotency-Key': idem.current } },
          body: { email: email.trim(), display_name: name.trim() || undefined, role },
        }),
      ),
    onSuccess: async () => {
      idem.current = crypto.randomUUID();
      setEmail('');
      setName('');
      setRole('user');
      onClose();
      await qc.invalidateQueries({ queryKey: keys.users(slug) });
    },
    onError: (e) => isApiError(e) && setErrors(e.fieldErrors()),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim()))
      return setErrors({ email: 'Enter an email address.' });
    setErrors({});
    invite.mutate();
  };
  return (
    <Modal
      open={open}
      onOpenChange={(o) => !o && onClose()}
      title="Invite a person"
      description="They get an email with a temporary password and the workspace's sign-in link."
    >
      <form onSubmit={submit} noValidate className="space-y-4 p-4">
        {invite.isError && !Object.keys(errors).length && (
          <Banner tone="error">{errorMessage(invite.error)}</Banner>
        )}
        <Field label="Email" error={errors.email}>
          {(p) => (
            <Input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
          )}
        </Field>
        <Field label="Name (optional)" error={errors.display_name}>
          {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Role" error={errors.role}>
          {(p) => (
            <select {...p} className={inputClass} value={role} onChange={(e) => setRole(e.target.value)}>
              {ROLES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="flex justify-end gap-2">
          <Button type="button" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={invite.isPending}>
            Send invitation
          </Button>
        </div>
      </form>
    </Modal>
  );
}
