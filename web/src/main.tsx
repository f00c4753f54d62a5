import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { loadConfig } from './config';
import './index.css';

const root = createRoot(document.getElementById('root')!);

// The landing and pricing pages load only what they show (src/marketing.tsx);
// everything else is the app with its router.
const marketing = ['/', '/pricing', '/pricing/'].includes(location.pathname);

loadConfig()
  .then(async () => {
    const page = marketing ? (await import('./marketing')).Marketing : (await import('./App')).App;
    const Page = page;
    root.render(
      <StrictMode>
        <Page />
      </StrictMode>,
    );
  })
  .catch(() => {
    root.render(
      <main className="mx-auto max-w-md p-8 text-sm">
        <h1 className="mb-2 text-base font-semibold">IssueTracker cannot start</h1>
        <p>
          The app's configuration could not be loaded. Reload the page; if it persists, the service is down.
        </p>
      </main>,
    );
  });
