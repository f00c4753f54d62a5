// The landing and pricing pages as their own light entry: React and the page,
// without the router, the query cache or the workspace (main.tsx picks it for
// "/" and "/pricing"; every link out of them is a normal page load).
import Landing from './pages/marketing/Landing';
import Pricing from './pages/marketing/Pricing';

export function Marketing() {
  return location.pathname.replace(/\/$/, '') === '/pricing' ? <Pricing /> : <Landing />;
}
