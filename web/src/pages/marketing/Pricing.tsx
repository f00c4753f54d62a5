import { MarketingShell } from './Shell';
import { TierCards } from './tiers';

export default function Pricing() {
  return (
    <MarketingShell>
      <section className="mx-auto max-w-6xl px-4 py-14">
        <h1 className="text-2xl font-semibold tracking-tight">Pricing</h1>
        <p className="mt-1 mb-8 text-sm text-muted">
          Every plan has the whole product. Plans differ in size, limits and isolation. Paid plans are
          approved by our team before they start.
        </p>
        <TierCards />
      </section>
    </MarketingShell>
  );
}
