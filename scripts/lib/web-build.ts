/**
 * What the web build decides per build (ADR 0086), read by vite.config.ts:
 *
 * - `vite build` is a production build, `vite build --mode demo` the local
 *   one `npm start` and the browser tests serve (scripts/lib/platform.ts;
 *   Vite reserves the mode name `local`).
 * - The static assets' `_headers` file: the CSP and security headers of the
 *   pages, written for this build (Stripe's sources in production, the
 *   Stripe fake's loopback in local builds, the tile server if any; HSTS in
 *   production only). Workers static assets apply it before the Worker runs.
 * - The demo accounts the sign-in panels offer: data of the local build
 *   only. A production bundle contains neither the demo password nor the
 *   demo emails (test/e2e/production-build.test.ts).
 */
import type { Plugin } from 'vite';
import { appPageCsp, COMMON_HEADERS, HSTS, PAGE_REFERRER_POLICY, TRACKING_PAGE_HEADERS, type BuildMode } from '../../domain/browser-policy.ts';
import { DEMO_CUSTOMER, DEMO_DRIVERS, DEMO_MERCHANTS, DEMO_OPS, DEMO_PASSWORD } from './demo-city.ts';

/** `demo` (and Vite's dev server, `development`) is a local build; any other mode a production one. */
export const buildModeOf = (viteMode: string): BuildMode => (viteMode === 'demo' || viteMode === 'development' ? 'local' : 'production');

/** The origin of a tile URL template (`https://tile.example/{z}/{x}/{y}.png`), or null. */
export function tileOriginOf(template: string | undefined): string | null {
  if (!template) return null;
  try {
    return new URL(template.replace(/\{[a-z]\}/g, 'x')).origin;
  } catch {
    return null;
  }
}

const block = (pattern: string, headers: Record<string, string>) => [pattern, ...Object.entries(headers).map(([k, v]) => `  ${k}: ${v}`)].join('\n');

/** The `_headers` file of a build (https://developers.cloudflare.com/workers/static-assets/headers/). */
export function headersFile(mode: BuildMode, tileOrigin: string | null): string {
  const pages = {
    'Content-Security-Policy': appPageCsp({ mode, tileOrigin }),
    ...COMMON_HEADERS,
    'Referrer-Policy': PAGE_REFERRER_POLICY,
    ...(mode === 'production' ? { 'Strict-Transport-Security': HSTS } : {}),
  };
  return [
    `# Written by the web build (scripts/lib/web-build.ts, ${mode} build; ADR 0086). Do not edit.`,
    block('/*', pages),
    // Joined with the rule above: a comma list, whose last Referrer-Policy wins.
    block('/track/*', TRACKING_PAGE_HEADERS),
    '',
  ].join('\n');
}

export interface DemoAccounts {
  password: string;
  signIn: Record<'merchant' | 'driver' | 'customer' | 'ops', { label: string; email: string }[]>;
}

/** The demo accounts of the seeded city, for a local build's sign-in panels. */
export function demoAccounts(): DemoAccounts {
  return {
    password: DEMO_PASSWORD,
    signIn: {
      merchant: DEMO_MERCHANTS.map((m) => ({ label: m.name, email: m.ownerEmail })),
      // The last drivers: the simulator drives the first ones (see scripts/simulate.ts).
      driver: DEMO_DRIVERS.slice(-3).map((d) => ({ label: d.name, email: d.email })),
      customer: [{ label: DEMO_CUSTOMER.name, email: DEMO_CUSTOMER.email }],
      ops: [{ label: DEMO_OPS.name, email: DEMO_OPS.email }],
    },
  };
}

/** Emits `_headers` into the build output. */
export function securityHeadersFile(mode: BuildMode, tileOrigin: string | null): Plugin {
  return {
    name: 'security-headers-file',
    apply: 'build',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: headersFile(mode, tileOrigin) });
    },
  };
}
