import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin, type ProxyOptions } from 'vite';

/**
 * Ships Scalar's standalone API-reference bundle with our static assets, so
 * `/docs` renders without reaching a CDN (no request may leave the machine in
 * local runs, and production should not depend on a third-party CDN either).
 */
function vendorScalar(): Plugin {
  return {
    name: 'vendor-scalar',
    apply: 'build',
    generateBundle() {
      // The package's export map does not expose its browser build: read it from disk.
      const file = fileURLToPath(new URL('./node_modules/@scalar/api-reference/dist/browser/standalone.js', import.meta.url));
      this.emitFile({ type: 'asset', fileName: 'vendor/scalar/standalone.js', source: readFileSync(file) });
    },
  };
}

/** Local Worker (`wrangler dev`, started by `npm run dev`). */
const WORKER_ORIGIN = 'http://127.0.0.1:8787';

const toWorker: ProxyOptions = { target: WORKER_ORIGIN };

/**
 * The web apps are a single-page application living in `web/`.
 * In production the Worker serves `dist/web` as static assets with an
 * index.html SPA fallback; in development Vite proxies the API to the Worker.
 * `vite preview` reuses `server.proxy`, so the built bundle can be exercised
 * against a running Worker as well.
 */
export default defineConfig({
  // <repo>/web, resolved from this file so the config works from any cwd.
  root: fileURLToPath(new URL('./web', import.meta.url)),
  plugins: [react(), vendorScalar()],
  build: {
    // Relative to `root`, i.e. <repo>/dist/web.
    outDir: '../dist/web',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      // REST API and its WebSocket upgrades (partysocket rooms live under /v1).
      '/v1': { ...toWorker, ws: true },
      '/healthz': toWorker,
      '/readyz': toWorker,
      '/openapi.json': toWorker,
      '/docs': toWorker,
    },
  },
});
