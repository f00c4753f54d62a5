import { useEffect, useRef, useState } from 'react';

/** The slot of a page's pending search commit: the page's click handlers cancel it. */
export class PendingTimer {
  private t: ReturnType<typeof setTimeout> | undefined;
  start(f: () => void, ms: number) {
    clearTimeout(this.t);
    this.t = setTimeout(f, ms);
  }
  cancel() {
    clearTimeout(this.t);
    this.t = undefined;
  }
}

/** One PendingTimer for the life of the component. */
export function usePendingTimer(): PendingTimer {
  const [timer] = useState(() => new PendingTimer());
  return timer;
}

/**
 * A search box's pending commit: `typed` is committed `ms` after the last change, unless it already
 * equals `committed` (what the URL holds). Two ways a late timer could undo what the user did next,
 * both closed here:
 * - the timer calls the newest `commit`, not the one of the render that started it (that one works
 *   on the filters of its render, and would put back what a click since changed);
 * - `timer.cancel()` drops the pending commit at once: a click that changes the filters calls it,
 *   since a timer firing between the click and the next render would still run the old `commit`
 *   (react-router renders a navigation in a transition, not at once).
 * A change of `committed` from elsewhere (back button, a shared link, a sort that clears the search)
 * cancels the pending commit too.
 */
export function usePendingSearch(
  timer: PendingTimer,
  typed: string,
  committed: string,
  commit: (q: string) => void,
  ms = 250,
) {
  const latest = useRef(commit);
  useEffect(() => {
    latest.current = commit;
  });
  useEffect(() => {
    if (typed === committed) return;
    timer.start(() => latest.current(typed), ms);
    return () => timer.cancel();
  }, [timer, typed, committed, ms]);
}
