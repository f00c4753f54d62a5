import { clsx } from 'clsx';
import { Dialog as D } from 'radix-ui';
import type { ReactNode } from 'react';
import { Button } from './ui';

/** A modal dialog (Radix): focus trapped, Escape closes, labelled by its title. */
export function Modal({
  open,
  onOpenChange,
  title,
  description,
  children,
  wide,
}: {
  open: boolean;
  onOpenChange: (o: boolean) => void;
  title: string;
  description?: string;
  children: ReactNode;
  wide?: boolean;
}) {
  return (
    <D.Root open={open} onOpenChange={onOpenChange}>
      <D.Portal>
        <D.Overlay className="fixed inset-0 z-40 bg-black/25" />
        <D.Content
          className={clsx(
            'fixed top-[12vh] left-1/2 z-50 w-[calc(100vw-1.5rem)] -translate-x-1/2 rounded-xl border border-line bg-white shadow-2xl focus:outline-none',
            wide ? 'max-w-2xl' : 'max-w-md',
          )}
          aria-describedby={description ? undefined : undefined}
        >
          <div className="border-b border-line px-4 py-3">
            <D.Title className="text-sm font-semibold">{title}</D.Title>
            {description ? (
              <D.Description className="mt-0.5 text-xs text-muted">{description}</D.Description>
            ) : (
              <D.Description className="sr-only">{title}</D.Description>
            )}
          </div>
          {children}
        </D.Content>
      </D.Portal>
    </D.Root>
  );
}

/** A dialog form's footer: Cancel, then its action (a submit button unless `onAction` is given);
 * `children` sit at the start (a hint, a count). `done` leaves a single Close. */
export function DialogFooter({
  action,
  onCancel,
  onAction,
  busy,
  disabled,
  cancelDisabled,
  cancelLabel = 'Cancel',
  variant = 'primary',
  done,
  children,
}: {
  action: ReactNode;
  onCancel: () => void;
  onAction?: () => void;
  busy?: boolean;
  disabled?: boolean;
  cancelDisabled?: boolean;
  cancelLabel?: string;
  variant?: 'primary' | 'danger';
  done?: boolean;
  children?: ReactNode;
}) {
  return (
    <div className="flex flex-wrap items-center justify-end gap-2">
      {children}
      {done ? (
        <Button type="button" variant="primary" onClick={onCancel}>
          Close
        </Button>
      ) : (
        <>
          <Button type="button" onClick={onCancel} disabled={cancelDisabled}>
            {cancelLabel}
          </Button>
          <Button
            type={onAction ? 'button' : 'submit'}
            variant={variant}
            busy={busy}
            disabled={disabled}
            onClick={onAction}
          >
            {action}
          </Button>
        </>
      )}
    </div>
  );
}
