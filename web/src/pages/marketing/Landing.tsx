import { Gauge, Keyboard, KanbanSquare, ShieldCheck } from 'lucide-react';
import { MarketingShell } from './Shell';
import { TierCards } from './tiers';

const points = [
  {
    icon: Keyboard,
    title: 'Keyboard first',
    text: 'Create with c, search with /, move with j and k. Every screen works without a mouse.',
  },
  {
    icon: KanbanSquare,
    title: 'List and board',
    text: 'Filter, sort and share a view by its URL. Drag a card to move it along your workflow.',
  },
  {
    icon: ShieldCheck,
    title: 'Isolated by design',
    text: 'Every workspace is walled off from every other, down to the database credentials.',
  },
  {
    icon: Gauge,
    title: 'Fast',
    text: 'Lists of thousands of issues render in well under a second, and stay smooth as you scroll.',
  },
];

export default function Landing() {
  return (
    <MarketingShell>
      <section className="mx-auto max-w-6xl px-4 pt-16 pb-12 sm:pt-24">
        <h1 className="max-w-2xl text-3xl font-semibold tracking-tight sm:text-5xl">
          Issue tracking your team will actually enjoy.
        </h1>
        <p className="mt-4 max-w-xl text-base text-muted">
          IssueTracker gives every company its own branded workspace: file, assign, discuss and close issues
          on a calm, fast, keyboard-first interface.
        </p>
        <div className="mt-8 flex flex-wrap gap-3">
          <a
            href="/signup"
            className="rounded-md bg-brand px-4 py-2 text-sm font-medium text-brand-fg hover:brightness-110"
          >
            Create your workspace
          </a>
          <a
            href="/signin"
            className="rounded-md border border-line px-4 py-2 text-sm font-medium hover:bg-panel"
          >
            Sign in
          </a>
        </div>
      </section>
      <section aria-labelledby="why" className="border-y border-line bg-panel">
        <div className="mx-auto grid max-w-6xl gap-6 px-4 py-12 sm:grid-cols-2 lg:grid-cols-4">
          <h2 id="why" className="sr-only">
            Why IssueTracker
          </h2>
          {points.map(({ icon: Icon, title, text }) => (
            <div key={title}>
              <Icon className="size-5 text-brand" aria-hidden />
              <h3 className="mt-2 text-sm font-semibold">{title}</h3>
              <p className="mt-1 text-sm text-muted">{text}</p>
            </div>
          ))}
        </div>
      </section>
      <section aria-labelledby="plans" className="mx-auto max-w-6xl px-4 py-14">
        <h2 id="plans" className="text-xl font-semibold tracking-tight">
          Plans
        </h2>
        <p className="mt-1 mb-6 text-sm text-muted">Start free; move up when your team grows.</p>
        <TierCards compact />
        <p className="mt-4 text-sm">
          <a href="/pricing" className="font-medium text-brand hover:underline">
            Compare plans in detail
          </a>
        </p>
      </section>
    </MarketingShell>
  );
}
