/**
 * What a browser is told about our pages and answers (ADR 0086): the
 * Content-Security-Policy and the other security headers, in one place for
 * the two that send them — the web build, which writes them into the static
 * assets' `_headers` file (the assets are served before the Worker runs),
 * and the Worker, for what it answers itself (the API, /docs).
 *
 * The app pages' policy depends on the build: a production build allows
 * Stripe.js and its Payment Element (the only third party a page loads), a
 * local build allows the Stripe fake on loopback instead (the test-card
 * checkout confirms there, ADR 0054) and nothing of Stripe's. No build
 * allows an inline script, `eval`, or a page framing ours.
 */

export type BuildMode = 'local' | 'production';

export interface PageBuild {
  mode: BuildMode;
  /** Origin of the map tiles (VITE_TILE_URL), when the build shows tiles. */
  tileOrigin?: string | null;
}

/**
 * Stripe.js and the Payment Element, as Stripe's integration security guide
 * lists them: the script, its iframes (the element, 3-D Secure) and its API.
 */
export const STRIPE_SOURCES = {
  script: ['https://js.stripe.com', 'https://*.js.stripe.com'],
  frame: ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com'],
  connect: ['https://api.stripe.com'],
} as const;

/** Loopback on any port: where a local run's Stripe fake listens (its port is chosen at start). */
const LOCAL_FAKES = ['http://127.0.0.1:*', 'http://localhost:*'];

const policy = (directives: Record<string, readonly string[]>): string =>
  Object.entries(directives)
    .map(([name, sources]) => (sources.length > 0 ? `${name} ${sources.join(' ')}` : name))
    .join('; ');

/** The app pages (index.html and the assets it loads): the four apps and the public tracking page. */
export function appPageCsp(build: PageBuild): string {
  const stripe = build.mode === 'production';
  const local = build.mode === 'local';
  return policy({
    'default-src': ["'self'"],
    'script-src': ["'self'", ...(stripe ? STRIPE_SOURCES.script : [])],
    'style-src': ["'self'"],
    // data: the inline SVG favicon; blob: a proof photo shown after it was fetched with credentials.
    'img-src': ["'self'", 'data:', 'blob:', ...(build.tileOrigin ? [build.tileOrigin] : [])],
    'font-src': ["'self'"],
    // 'self' covers the same-origin WebSockets (ws:/wss:) of the live channels.
    'connect-src': ["'self'", ...(stripe ? STRIPE_SOURCES.connect : []), ...(local ? LOCAL_FAKES : [])],
    'frame-src': stripe ? STRIPE_SOURCES.frame : ["'none'"],
    'worker-src': ["'self'"],
    'manifest-src': ["'self'"],
    'media-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    ...(stripe ? { 'upgrade-insecure-requests': [] } : {}),
  });
}

/**
 * The API reference (/docs, Scalar's standalone bundle, served by the
 * Worker). Scripts are ours only (the bundle and its configuration are
 * files); the bundle injects its stylesheet at run time, so this page alone
 * allows inline styles — never inline scripts.
 */
export const DOCS_CSP = policy({
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'worker-src': ["'self'", 'blob:'],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
});

/** Everything else the Worker answers (JSON, problems, metrics, images): nothing may run or frame it. */
export const API_CSP = policy({ 'default-src': ["'none'"], 'frame-ancestors': ["'none'"], 'base-uri': ["'none'"], 'form-action': ["'none'"] });

/** Two years, subdomains included (no preload: that is a decision about the domain, not this app). */
export const HSTS = 'max-age=63072000; includeSubDomains';

/** Sent with every page and every answer. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  // frame-ancestors 'none' in every policy; this for browsers that predate it.
  'X-Frame-Options': 'DENY',
};

/** The app pages' referrer policy: other origins (Stripe, tiles) learn our origin, never a path. */
export const PAGE_REFERRER_POLICY = 'strict-origin-when-cross-origin';

/**
 * The public tracking pages (`/track/<token>`): the token in the path is
 * the only key to the order's live position, so it is never sent as a
 * referrer, and the pages are not indexed.
 */
export const TRACKING_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Referrer-Policy': 'no-referrer',
  'X-Robots-Tag': 'noindex, nofollow, noarchive',
};
