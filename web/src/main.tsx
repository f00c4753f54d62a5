import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { loadConfig } from './config';
import './index.css';

const root = createRoot(document.getElementById('root')!);

loadConfig()
  .then(async () => {
    const { App } = await import('./App');
    root.render(
      <StrictMode>
        <App />
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
