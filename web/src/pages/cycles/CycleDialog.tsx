import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { DialogFooter, Modal } from '../../components/Modal';
import { Banner, Field, Input } from '../../components/ui';
import type { Cycle } from '../../lib/cycles';
import type { CycleOwner } from '../../lib/cycleOwner';
import { cycleKeys } from './data';

/** Create a project's or a team's cycle, or rename one and move its days (Admins; the server refuses
 * overlaps). */
export function CycleDialog({
  slug,
  owner,
  cycle,
  suggested,
  onClose,
  onSaved,
}: {
  slug: string;
  owner: Pick<CycleOwner, 'kind' | 'id'>;
  cycle?: Cycle;
  /** the days a new cycle proposes (after the project's last one) */
  suggested?: { name: string; starts_on: string; ends_on: string };
  onClose: () => void;
  onSaved?: (c: Cycle) => void;
}) {
  const qc = useQueryClient();
  const [name, setName] = useState(cycle?.name ?? suggested?.name ?? '');
  const [starts, setStarts] = useState(cycle?.starts_on ?? suggested?.starts_on ?? '');
  const [ends, setEnds] = useState(cycle?.ends_on ?? suggested?.ends_on ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const idem = useRef(crypto.randomUUID());
  const save = useMutation({
    mutationFn: () => {
      const body = { name: name.trim(), starts_on: starts, ends_on: ends };
      return cycle
        ? unwrap(
            api().PATCH('/v1/cycles/{cycleId}', {
              params: { path: { cycleId: cycle.id } },
              body,
              headers: { 'Content-Type': 'application/merge-patch+json' },
            }),
          )
        : unwrap(
            api().POST('/v1/cycles', {
              params: { header: { 'Idempotency-Key': idem.current } },
              body: {
                ...body,
                ...(owner.kind === 'team' ? { team_id: owner.id } : { project_id: owner.id }),
              },
            }),
          );
    },
    onSuccess: async (c) => {
      await qc.invalidateQueries({ queryKey: cycleKeys.all(slug) });
      onSaved?.(c);
      onClose();
    },
    onError: (e) => isApiError(e) && setErrors(e.fieldErrors()),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!name.trim()) errs.name = 'Give the cycle a name.';
    if (!starts) errs.starts_on = 'Choose the first day.';
    if (!ends) errs.ends_on = 'Choose the last day.';
    else if (starts && ends < starts) errs.ends_on = 'The last day cannot be before the first.';
    setErrors(errs);
    if (!Object.keys(errs).length) save.mutate();
  };
  return (
    <Modal
      open
      onOpenChange={(o) => !o && onClose()}
      title={cycle ? `Edit ${cycle.name}` : 'New cycle'}
      description="Calendar days in UTC, both included. Cycles of a project or a team never overlap."
    >
      <form onSubmit={submit} noValidate className="space-y-4 p-4">
        {save.isError && !Object.keys(errors).length && (
          <Banner tone="error">{errorMessage(save.error)}</Banner>
        )}
        <Field label="Name" error={errors.name}>
          {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} autoFocus />}
        </Field>
        <div className="grid grid-cols-2 gap-3">
          <Field label="First day" error={errors.starts_on}>
            {(p) => <Input {...p} type="date" value={starts} onChange={(e) => setStarts(e.target.value)} />}
          </Field>
          <Field label="Last day" error={errors.ends_on}>
            {(p) => <Input {...p} type="date" value={ends} onChange={(e) => setEnds(e.target.value)} />}
          </Field>
        </div>
        <DialogFooter onCancel={onClose} busy={save.isPending} action={cycle ? 'Save' : 'Create cycle'} />
      </form>
    </Modal>
  );
}
