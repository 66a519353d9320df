/**
 * What the browser journey checks of the pages' security (ADR 0086, 0087):
 * the headers each page is served with, and how a signed-in app holds its
 * session (HttpOnly cookies; nothing a script could read in storage).
 */
import type { Page, Response } from 'playwright-core';
import { expect } from 'vitest';

/** The headers of an app page (or, `tracking`, of the public tracking page) as served in a local run. */
export async function expectPageHeaders(response: Response | null, kind: 'app' | 'tracking' = 'app'): Promise<void> {
  expect(response, 'the page answered').not.toBeNull();
  const headers = await response!.allHeaders();
  const csp = headers['content-security-policy'] ?? '';
  expect(csp, `${response!.url()} has a CSP`).toContain("default-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('DENY');
  // A local run is http: no HSTS (production builds send it).
  expect(headers['strict-transport-security']).toBeUndefined();
  const referrer = (headers['referrer-policy'] ?? '').split(',').map((p) => p.trim());
  if (kind === 'tracking') {
    expect(referrer.at(-1), 'the last referrer policy wins').toBe('no-referrer');
    expect(headers['x-robots-tag']).toBe('noindex, nofollow, noarchive');
  } else {
    expect(referrer).toEqual(['strict-origin-when-cross-origin']);
    expect(headers['x-robots-tag']).toBeUndefined();
  }
}

/** The tracking page says noindex and no-referrer in its markup too, while shown. */
export async function expectPrivateMarkup(page: Page): Promise<void> {
  expect(await page.locator('meta[name="robots"]').getAttribute('content')).toBe('noindex, nofollow, noarchive');
  expect(await page.locator('meta[name="referrer"]').getAttribute('content')).toBe('no-referrer');
}

/** A signed-in app: its session in HttpOnly, Secure, SameSite=Strict cookies, and no token anywhere a script can read. */
export async function expectCookieSession(page: Page, app: 'customer' | 'merchant' | 'driver' | 'ops'): Promise<void> {
  const cookies = await page.context().cookies();
  const access = cookies.find((c) => c.name === `__Host-dp_${app}`);
  const refresh = cookies.find((c) => c.name === `__Secure-dp_${app}_refresh`);
  for (const cookie of [access, refresh]) {
    expect(cookie, `the ${app} app's session cookies`).toBeDefined();
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
  }
  expect(access!.path).toBe('/');
  expect(refresh!.path).toBe('/v1/auth');
  const readable = await page.evaluate<{ storage: string; cookie: string }>('({ storage: JSON.stringify({ ...localStorage, ...sessionStorage }), cookie: document.cookie })');
  expect(readable.cookie, 'no cookie a script can read holds the session').not.toContain('dp_');
  expect(readable.storage, 'no access token (JWT) in storage').not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  expect(readable.storage, 'no refresh token in storage').not.toMatch(/rt_[\w-]{20,}/);
}
