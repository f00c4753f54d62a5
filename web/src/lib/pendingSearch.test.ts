// @vitest-environment jsdom
import { renderHook } from '@testing-library/react';
import { PendingTimer, usePendingSearch } from './pendingSearch';

type Props = { typed: string; committed: string; commit: (q: string) => void };

describe('usePendingSearch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  let timer: PendingTimer;
  beforeEach(() => {
    timer = new PendingTimer();
  });
  const mount = (p: Props) =>
    renderHook((q: Props) => usePendingSearch(timer, q.typed, q.committed, q.commit), { initialProps: p });

  it('commits what was typed once, 250 ms after the last change', () => {
    const commit = vi.fn();
    const h = mount({ typed: '', committed: '', commit });
    h.rerender({ typed: 'lo', committed: '', commit });
    vi.advanceTimersByTime(200);
    h.rerender({ typed: 'login', committed: '', commit });
    vi.advanceTimersByTime(249);
    expect(commit).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(commit).toHaveBeenCalledTimes(1);
    expect(commit).toHaveBeenCalledWith('login');
  });

  it('commits nothing when the box already shows what the URL holds', () => {
    const commit = vi.fn();
    mount({ typed: 'bug', committed: 'bug', commit });
    vi.advanceTimersByTime(1000);
    expect(commit).not.toHaveBeenCalled();
  });

  it('calls the newest commit, not the one of the render that started the timer', () => {
    const first = vi.fn();
    const second = vi.fn();
    const h = mount({ typed: '', committed: '', commit: first });
    h.rerender({ typed: 'crash', committed: '', commit: first });
    // a click re-rendered the page with other filters: its commit knows them
    h.rerender({ typed: 'crash', committed: '', commit: second });
    vi.advanceTimersByTime(250);
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledWith('crash');
  });

  it('timer.cancel() drops the pending commit at once (a click that changes the filters)', () => {
    const commit = vi.fn();
    const h = mount({ typed: '', committed: '', commit });
    h.rerender({ typed: 'crash', committed: '', commit });
    timer.cancel();
    vi.advanceTimersByTime(1000);
    expect(commit).not.toHaveBeenCalled();
  });

  it('a change of the URL from elsewhere cancels the pending commit', () => {
    const commit = vi.fn();
    const h = mount({ typed: 'a', committed: 'a', commit });
    h.rerender({ typed: 'ab', committed: 'a', commit });
    // the back button: the URL holds 'b' now, and the box follows it
    h.rerender({ typed: 'b', committed: 'b', commit });
    vi.advanceTimersByTime(1000);
    expect(commit).not.toHaveBeenCalled();
  });
});
