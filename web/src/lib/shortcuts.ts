import { useEffect, useRef } from 'react';

/** Whether the event comes from a place where typing means text. */
export function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  const tag = t.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || t.isContentEditable;
}

export type Shortcuts = Record<string, (e: KeyboardEvent) => void>;

/**
 * Single-key shortcuts (c, /, j, k, ?, g then i ...), ignored while typing
 * in a field or with a modifier held, and while a dialog is open.
 */
export function useShortcuts(map: Shortcuts, enabled = true) {
  const ref = useRef(map);
  useEffect(() => {
    ref.current = map;
  });
  useEffect(() => {
    if (!enabled) return;
    let prefix = '';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.altKey || isTyping(e)) return;
      if (document.querySelector('[role="dialog"], [role="alertdialog"]')) return;
      const key = prefix ? `${prefix} ${e.key}` : e.key;
      const fn = ref.current[key];
      if (fn) {
        e.preventDefault();
        prefix = '';
        fn(e);
        return;
      }
      if (Object.keys(ref.current).some((k) => k.startsWith(`${e.key} `))) {
        prefix = e.key;
        clearTimeout(timer);
        timer = setTimeout(() => (prefix = ''), 1000);
        return;
      }
      prefix = '';
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      clearTimeout(timer);
    };
  }, [enabled]);
}
