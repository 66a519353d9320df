/**
 * GET /docs: the API reference (Scalar's standalone bundle, shipped with our
 * static assets: no CDN). Scalar's Hono middleware wrote its configuration
 * into an inline `<script>`, which the page's CSP refuses (ADR 0086), so the
 * page is ours: `/docs/setup.js`, the bundle and `/docs/reference.js`, all
 * files. Nothing on the page calls out: system fonts, no hosted AI/MCP
 * helpers. Checked in Chromium: the page renders with no CSP violation.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env';

const CONFIGURATION = {
  url: '/openapi.json',
  withDefaultFonts: false,
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
  _integration: 'hono',
};

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <title>Delivery platform API</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <div id="app"></div>
    <script src="/docs/setup.js"></script>
    <script src="/vendor/scalar/standalone.js"></script>
    <script src="/docs/reference.js"></script>
  </body>
</html>
`;

const SCRIPT = `Scalar.createApiReference('#app', ${JSON.stringify(CONFIGURATION)});\n`;

/**
 * Before the bundle: the zod it carries would try `new Function` (refused by
 * the page's CSP, and reported) unless told to run jitless, through zod's
 * global configuration object.
 */
const SETUP = `globalThis.__zod_globalConfig = Object.assign(globalThis.__zod_globalConfig || {}, { jitless: true });\n`;

const JS_HEADERS = { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=300' };

export const apiReferenceRoutes = new Hono<AppEnv>()
  .get('/docs', (c) => c.html(PAGE))
  .get('/docs/setup.js', (c) => c.body(SETUP, 200, JS_HEADERS))
  .get('/docs/reference.js', (c) => c.body(SCRIPT, 200, JS_HEADERS));
