import type { ReactNode } from 'react';
import { Logo } from '../../components/Logo';

export function MarketingShell({ children }: { children: ReactNode }) {
  return (
    <div className="flex min-h-dvh flex-col">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-2 focus:py-1"
      >
        Skip to content
      </a>
      <header className="border-b border-line">
        <nav aria-label="Main" className="mx-auto flex h-14 max-w-6xl items-center gap-6 px-4">
          <a href="/" className="flex items-center gap-2 font-semibold">
            <Logo /> IssueTracker
          </a>
          <a
            href="/pricing"
            aria-current={location.pathname === '/pricing' ? 'page' : undefined}
            className="text-sm text-muted hover:text-ink aria-[current=page]:text-ink"
          >
            Pricing
          </a>
          <span className="flex-1" />
          <a href="/signin" className="text-sm text-muted hover:text-ink">
            Sign in
          </a>
          <a
            href="/signup"
            className="rounded-md bg-brand px-3 py-1.5 text-sm font-medium text-brand-fg hover:brightness-110"
          >
            Get started
          </a>
        </nav>
      </header>
      <main id="main" className="flex-1">
        {children}
      </main>
      <footer className="border-t border-line py-6 text-center text-xs text-muted">
        © IssueTracker · Built for teams that ship
      </footer>
    </div>
  );
}
