// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import { AuditTable, type AuditRecord } from './AuditLog';

describe('AuditTable', () => {
  // Its rows hold no link or button: the region that scrolls them sideways is the keyboard's way in.
  it('is a named region a keyboard can focus to scroll it', () => {
    const items = [
      {
        at: '2026-12-02T10:00:00Z',
        actor: { kind: 'user', email: 'ann@acme.test' },
        action: 'user.invited',
        detail: { email: 'bo@acme.test' },
      },
    ] as unknown as AuditRecord[];
    render(<AuditTable items={items} hasMore={false} loadingMore={false} onMore={() => {}} />);
    const region = screen.getByRole('region', { name: 'Audit log records' });
    expect(region).toHaveAttribute('tabindex', '0');
    expect(region).toContainElement(screen.getByRole('table', { name: 'Audit log' }));
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });
});
