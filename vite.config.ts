import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv, type Plugin, type ProxyOptions } from 'vite';
import { buildModeOf, demoAccounts, securityHeadersFile, tileOriginOf } from './scripts/lib/web-build.ts';

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
export default defineConfig(({ mode: viteMode }) => {
  const root = fileURLToPath(new URL('./web', import.meta.url));
  // `vite build` is a production build; `vite build --mode demo` is the local one npm start serves (ADR 0086).
  const mode = buildModeOf(viteMode);
  const tileOrigin = tileOriginOf(loadEnv(viteMode, root, 'VITE_').VITE_TILE_URL);
  return {
    // <repo>/web, resolved from this file so the config works from any cwd.
    root,
    plugins: [react(), vendorScalar(), securityHeadersFile(mode, tileOrigin)],
    // The demo accounts exist in local builds only: a production bundle carries no demo password or email.
    define: { __DEMO_ACCOUNTS__: JSON.stringify(mode === 'local' ? demoAccounts() : null) },
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
  };
});
