import { Tag, Users, UserX } from 'lucide-react';
import { PriorityIcon, PRIORITY_LABEL, StatusIcon, TypeIcon, TYPE_LABEL } from '../../components/issueIcons';
import { PRIORITIES, STATUSES, TYPES } from '../../lib/filters';
import { statusLabel, type WorkflowStatus } from '../../lib/workflow';
import type { Directory } from './data';
import { userOption, type Option } from './pickers';

export const statusOptions: Option[] = STATUSES.map((s) => ({
  value: s,
  label: statusLabel(s),
  icon: <StatusIcon status={s} />,
}));
/** Status choices from workflows' statuses (names, category icons and colours of the project). */
export function workflowStatusOptions(statuses: WorkflowStatus[]): Option[] {
  return statuses.map((s) => ({
    value: s.status,
    label: s.name,
    icon: <StatusIcon status={s.status} name={s.name} category={s.category} color={s.color} />,
  }));
}

export const priorityOptions: Option[] = PRIORITIES.map((p) => ({
  value: p,
  label: PRIORITY_LABEL[p] ?? p,
  icon: <PriorityIcon priority={p} />,
}));
export const typeOptions: Option[] = TYPES.map((t) => ({
  value: t,
  label: TYPE_LABEL[t] ?? t,
  icon: <TypeIcon type={t} />,
}));

/** Assignee choices: unassigned, the users, then the teams (an issue goes to a user or a team). */
export function assigneeOptions(d: Directory, meId?: string): Option[] {
  const users = [...d.users].sort((a, b) =>
    a.id === meId
      ? -1
      : b.id === meId
        ? 1
        : (a.display_name || a.email).localeCompare(b.display_name || b.email),
  );
  return [
    { value: '', label: 'Unassigned', icon: <UserX className="size-3.5 text-faint" aria-hidden /> },
    ...users
      .filter((u) => u.status === 'active')
      .map((u) => ({
        ...userOption(u),
        label: u.id === meId ? `${u.display_name || u.email} (you)` : u.display_name || u.email,
      })),
    ...d.teams.map((t) => ({
      value: `team:${t.id}`,
      label: t.name,
      icon: <Users className="size-3.5 text-muted" aria-hidden />,
    })),
  ];
}

export function labelOptions(d: Directory): Option[] {
  return d.labels.map((l) => ({
    value: l.id,
    label: l.name,
    icon: <Tag className="size-3.5" style={{ color: l.color }} aria-hidden />,
  }));
}
