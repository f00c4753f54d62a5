import { useId, useRef, useState, type KeyboardEvent } from 'react';
import { Avatar, Button, cx, inputClass } from '../../components/ui';
import { handleOf, insertMention, matchUsers, mentionAt } from '../../lib/mentions';
import type { User } from './data';

/** A Markdown comment box with @mention autocomplete (a combobox over the workspace's people). */
export function CommentBox({
  users,
  onSubmit,
  busy,
  placeholder = 'Leave a comment…',
  submitLabel = 'Comment',
  initial = '',
  onCancel,
  autoFocus,
  error,
  label,
}: {
  users: User[];
  onSubmit: (body: string) => Promise<boolean>;
  busy?: boolean;
  placeholder?: string;
  submitLabel?: string;
  initial?: string;
  onCancel?: () => void;
  autoFocus?: boolean;
  error?: string;
  label: string;
}) {
  const [text, setText] = useState(initial);
  const [caret, setCaret] = useState(0);
  const [hi, setHi] = useState(0);
  const [closed, setClosed] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  const m = closed ? undefined : mentionAt(text, caret);
  const matches = m
    ? matchUsers(
        users.filter((u) => u.status === 'active'),
        m.query,
      )
    : [];
  const open = !!m && matches.length > 0;

  const pick = (u: User) => {
    if (!m) return;
    const r = insertMention(text, m.start, caret, handleOf(u));
    setText(r.text);
    setCaret(r.caret);
    requestAnimationFrame(() => {
      ref.current?.focus();
      ref.current?.setSelectionRange(r.caret, r.caret);
    });
  };

  const send = async () => {
    if (!text.trim()) return;
    if (await onSubmit(text)) setText(''); // on failure the text stays
  };

  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (open) {
      if (e.key === 'ArrowDown') return (e.preventDefault(), setHi((h) => (h + 1) % matches.length));
      if (e.key === 'ArrowUp')
        return (e.preventDefault(), setHi((h) => (h - 1 + matches.length) % matches.length));
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        const u = matches[Math.min(hi, matches.length - 1)];
        if (u) pick(u);
        return;
      }
      if (e.key === 'Escape') return (e.preventDefault(), setClosed(true));
    }
    if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) {
      e.preventDefault();
      void send();
    }
    if (e.key === 'Escape' && onCancel) onCancel();
  };

  return (
    <div className="relative space-y-2">
      <textarea
        ref={ref}
        value={text}
        rows={3}
        autoFocus={autoFocus}
        aria-label={label}
        placeholder={placeholder}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={`${id}-mentions`}
        aria-activedescendant={open ? `${id}-m-${Math.min(hi, matches.length - 1)}` : undefined}
        aria-invalid={error ? true : undefined}
        onChange={(e) => {
          setText(e.target.value);
          setCaret(e.target.selectionStart);
          setHi(0);
          setClosed(false);
        }}
        onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
        onKeyDown={onKey}
        className={cx(inputClass, 'resize-y')}
      />
      {open && (
        <ul
          id={`${id}-mentions`}
          role="listbox"
          aria-label="People"
          className="absolute z-20 mt-1 max-h-56 w-64 overflow-y-auto rounded-lg border border-line bg-white p-1 text-sm shadow-lg"
          style={{ top: '5.5rem' }}
        >
          {matches.map((u, i) => (
            <li
              key={u.id}
              id={`${id}-m-${i}`}
              role="option"
              aria-selected={i === hi}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(u);
              }}
              className={cx(
                'flex cursor-default items-center gap-2 rounded px-2 py-1.5',
                i === hi && 'bg-panel',
              )}
            >
              <Avatar name={u.display_name || u.email} />
              <span className="truncate">{u.display_name || u.email}</span>
              <span className="ml-auto text-xs text-muted">@{handleOf(u)}</span>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p role="alert" className="text-xs text-red-700">
          {error}
        </p>
      )}
      <div className="flex items-center justify-end gap-2">
        <span className="mr-auto text-2xs text-muted">Markdown · @ to mention · Ctrl/⌘ + Enter to send</span>
        {onCancel && (
          <Button type="button" size="sm" variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
        )}
        <Button
          type="button"
          size="sm"
          variant="primary"
          busy={busy}
          disabled={!text.trim()}
          onClick={() => void send()}
        >
          {submitLabel}
        </Button>
      </div>
    </div>
  );
}
