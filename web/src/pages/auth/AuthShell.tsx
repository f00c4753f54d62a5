import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { Logo } from '../../components/Logo';
import { isLogo } from '../../lib/logo';

export function AuthShell({
  title,
  subtitle,
  children,
  logoUrl,
}: {
  title: string;
  subtitle?: ReactNode;
  children: ReactNode;
  logoUrl?: string;
}) {
  return (
    <div className="flex min-h-dvh flex-col items-center bg-panel px-4 py-12 sm:py-20">
      <Link
        to="/"
        className="mb-8 flex items-center gap-2 text-sm font-semibold"
        aria-label="IssueTracker home"
      >
        {isLogo(logoUrl) ? <img src={logoUrl} alt="" className="size-6 rounded" /> : <Logo />} IssueTracker
      </Link>
      <main className="w-full max-w-sm rounded-xl border border-line bg-white p-6 shadow-sm">
        <h1 className="text-base font-semibold">{title}</h1>
        {subtitle && <div className="mt-1 text-sm text-muted">{subtitle}</div>}
        <div className="mt-5">{children}</div>
      </main>
    </div>
  );
}
