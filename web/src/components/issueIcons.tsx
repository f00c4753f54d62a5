import { clsx } from 'clsx';
import {
  Bug,
  CheckCircle2,
  Circle,
  CircleDashed,
  CircleDot,
  Lightbulb,
  ListTodo,
  Minus,
  SignalHigh,
  SignalLow,
  SignalMedium,
  TriangleAlert,
  XCircle,
} from 'lucide-react';
import { statusLabel } from '../lib/workflow';

/** A status's icon: the default workflow's four by id; a custom status (give its name and category)
 * by its category, in its colour. */
export function StatusIcon({
  status,
  className,
  name,
  category,
  color,
}: {
  status: string;
  className?: string;
  name?: string;
  category?: string;
  color?: string;
}) {
  const cls = clsx('size-3.5 shrink-0', className);
  const label = name ?? statusLabel(status);
  if (category && !['open', 'in_progress', 'in_review', 'closed'].includes(status)) {
    const Icon =
      category === 'completed'
        ? CheckCircle2
        : category === 'canceled'
          ? XCircle
          : category === 'started'
            ? CircleDot
            : Circle;
    return <Icon className={cls} style={{ color }} aria-label={label} role="img" />;
  }
  switch (status) {
    case 'open':
      return <Circle className={clsx(cls, 'text-faint')} aria-label={label} role="img" />;
    case 'in_progress':
      return <CircleDot className={clsx(cls, 'text-amber-600')} aria-label={label} role="img" />;
    case 'in_review':
      return <CircleDashed className={clsx(cls, 'text-sky-700')} aria-label={label} role="img" />;
    case 'closed':
      return <CheckCircle2 className={clsx(cls, 'text-emerald-700')} aria-label={label} role="img" />;
    default:
      return <Circle className={cls} aria-label={label} role="img" />;
  }
}

export const PRIORITY_LABEL: Record<string, string> = {
  urgent: 'Urgent',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  none: 'No priority',
};

export function PriorityIcon({ priority, className }: { priority: string; className?: string }) {
  const cls = clsx('size-3.5 shrink-0', className);
  const label = PRIORITY_LABEL[priority] ?? priority;
  switch (priority) {
    case 'urgent':
      return <TriangleAlert className={clsx(cls, 'text-red-600')} aria-label={label} role="img" />;
    case 'high':
      return <SignalHigh className={clsx(cls, 'text-ink')} aria-label={label} role="img" />;
    case 'medium':
      return <SignalMedium className={clsx(cls, 'text-ink')} aria-label={label} role="img" />;
    case 'low':
      return <SignalLow className={clsx(cls, 'text-muted')} aria-label={label} role="img" />;
    default:
      return <Minus className={clsx(cls, 'text-faint')} aria-label={label} role="img" />;
  }
}

export const TYPE_LABEL: Record<string, string> = { bug: 'Bug', feature: 'Feature', task: 'Task' };

export function TypeIcon({ type, className }: { type: string; className?: string }) {
  const cls = clsx('size-3.5 shrink-0', className);
  const label = TYPE_LABEL[type] ?? type;
  if (type === 'bug') return <Bug className={clsx(cls, 'text-red-700')} aria-label={label} role="img" />;
  if (type === 'feature')
    return <Lightbulb className={clsx(cls, 'text-violet-700')} aria-label={label} role="img" />;
  return <ListTodo className={clsx(cls, 'text-muted')} aria-label={label} role="img" />;
}
