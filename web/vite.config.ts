import { fileURLToPath, URL } from 'node:url';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// `make web-dev`: Vite with hot reload; the API, /health and /config.json
// come from the local platform (`make dev`, GATEWAY_ADDR).
const gateway = `http://${process.env.GATEWAY_ADDR ?? 'localhost:8080'}`;

// In web-dev the browser reaches the API through Vite's proxy (same origin),
// so the platform's config.json is served with api_url pointing here.
function devConfig(): Plugin {
  return {
    name: 'issuetracker-dev-config',
    configureServer(server) {
      server.middlewares.use('/config.json', async (_req, res) => {
        try {
          const r = await fetch(`${gateway}/config.json`);
          const cfg = (await r.json()) as Record<string, unknown>;
          cfg.api_url = '';
          res.setHeader('Content-Type', 'application/json');
          res.setHeader('Cache-Control', 'no-store');
          res.end(JSON.stringify(cfg));
        } catch {
          res.statusCode = 502;
          res.end(`the local platform is not running at ${gateway}: start it with make dev`);
        }
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), devConfig()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  server: {
    port: Number(process.env.VITE_PORT ?? 5173),
    strictPort: true,
    proxy: { '/v1': gateway, '/health': gateway },
  },
  build: {
    target: 'es2022',
    sourcemap: false,
    // The one chunk above 250 KB is Recharts (~115 KB gzip), loaded only by the chart pages.
    chunkSizeWarningLimit: 420,
  },
  test: {
    environment: 'node', // component tests opt in with @vitest-environment jsdom
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
  },
});
