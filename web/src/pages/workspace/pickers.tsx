import { Check, ChevronDown } from 'lucide-react';
import { DropdownMenu } from 'radix-ui';
import type { ReactNode } from 'react';
import { Avatar, cx } from '../../components/ui';

export interface Option {
  value: string;
  label: string;
  icon?: ReactNode;
}

const itemCls =
  'flex cursor-default items-center gap-2 rounded px-2 py-1.5 text-sm outline-none select-none data-highlighted:bg-panel data-disabled:opacity-50';

const contentCls =
  'z-50 max-h-80 min-w-48 overflow-y-auto rounded-lg border border-line bg-white p-1 shadow-lg';

/** A multi-select filter menu (checkboxes). */
export function FilterMenu({
  label,
  options,
  values,
  onToggle,
}: {
  label: string;
  options: Option[];
  values: string[];
  onToggle: (v: string) => void;
}) {
  const chosen = options.filter((o) => values.includes(o.value));
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger asChild>
        <button
          type="button"
          className={cx(
            'inline-flex h-7 items-center gap-1 rounded-md border px-2 text-xs whitespace-nowrap',
            chosen.length
              ? 'border-brand/40 bg-brand/5 text-ink'
              : 'border-line text-muted hover:bg-panel hover:text-ink',
          )}
          aria-label={`${label}${chosen.length ? `: ${chosen.map((c) => c.label).join(', ')}` : ''}`}
        >
          {label}
          {chosen.length > 0 && (
            <span className="font-medium">: {chosen.length === 1 ? chosen[0]?.label : chosen.length}</span>
          )}
          <ChevronDown className="size-3" aria-hidden />
        </button>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content align="start" sideOffset={4} className={contentCls}>
          {options.length === 0 && (
            <div className="px-2 py-1.5 text-xs text-muted">Nothing to filter by yet</div>
          )}
          {options.map((o) => (
            <DropdownMenu.CheckboxItem
              key={o.value}
              checked={values.includes(o.value)}
              onCheckedChange={() => onToggle(o.value)}
              onSelect={(e) => e.preventDefault()}
              className={itemCls}
            >
              <span className="flex size-3.5 items-center justify-center">
                <DropdownMenu.ItemIndicator>
                  <Check className="size-3.5" aria-hidden />
                </DropdownMenu.ItemIndicator>
              </span>
              {o.icon}
              <span className="truncate">{o.label}</span>
            </DropdownMenu.CheckboxItem>
          ))}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

/** A single-value property picker (issue fields): the trigger shows the current value. */
export function PropertyMenu({
  label,
  value,
  options,
  onChange,
  trigger,
  disabled,
  className,
  empty,
  footer,
}: {
  label: string;
  value: string;
  options: Option[];
  onChange: (v: string) => void;
  trigger?: ReactNode;
  disabled?: boolean;
  className?: string;
  /** shown in the open menu when there is no option */
  empty?: ReactNode;
  /** shown in the open menu below the options (e.g. why some are not offered): NoteItem lines */
  footer?: ReactNode;
}) {
  const cur = options.find((o) => o.value === value);
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger asChild disabled={disabled}>
        <button
          type="button"
          aria-label={`${label}: ${cur?.label ?? 'none'}`}
          className={cx(
            'inline-flex h-7 min-w-0 items-center gap-1.5 rounded-md px-2 text-left text-sm hover:bg-panel disabled:opacity-60',
            className,
          )}
        >
          {trigger ?? (
            <>
              {cur?.icon}
              <span className="truncate">{cur?.label ?? 'None'}</span>
            </>
          )}
        </button>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content align="start" sideOffset={4} className={contentCls} aria-label={label}>
          {options.length === 0 && empty && <div className="px-2 py-1.5 text-xs text-muted">{empty}</div>}
          <DropdownMenu.RadioGroup value={value} onValueChange={onChange}>
            {options.map((o) => (
              <DropdownMenu.RadioItem key={o.value} value={o.value} className={itemCls}>
                {o.icon}
                <span className="flex-1 truncate">{o.label}</span>
                <DropdownMenu.ItemIndicator>
                  <Check className="size-3.5" aria-hidden />
                </DropdownMenu.ItemIndicator>
              </DropdownMenu.RadioItem>
            ))}
          </DropdownMenu.RadioGroup>
          {footer && (
            // a menu holds only items and groups: the note is a group of disabled items, read in turn
            <DropdownMenu.Group className="max-w-80 border-t border-line px-2 pt-1.5 pb-1 text-xs text-muted">
              {footer}
            </DropdownMenu.Group>
          )}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

/** A line of a menu's footer note: a disabled item, so the menu keeps only items (and screen readers
 * read it with the options). */
export function NoteItem({ children, className }: { children: ReactNode; className?: string }) {
  return (
    <DropdownMenu.Item disabled className={cx('py-0.5 outline-none select-text', className)}>
      {children}
    </DropdownMenu.Item>
  );
}

export function userOption(u: { id: string; email: string; display_name?: string }): Option {
  const name = u.display_name || u.email;
  return { value: u.id, label: name, icon: <Avatar name={name} /> };
}
