/** What a person does in the apps, as test steps (by labels and roles, as a screen reader would find them). */
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../../scripts/lib/demo-city';
import { expectCookieSession, expectPageHeaders } from './security';

/** Signs in to an app, checking the page's security headers and, once signed in, that the session is in HttpOnly cookies only. */
export async function signIn(page: Page, baseUrl: string, app: 'customer' | 'merchant' | 'driver' | 'ops', email: string): Promise<void> {
  await expectPageHeaders(await page.goto(`${baseUrl}/${app}`));
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await expectCookieSession(page, app);
}

/** The driver marker's position on the order map, as the map draws it. */
export async function driverMarker(page: Page): Promise<{ lat: number; lng: number } | null> {
  const marker = page.locator('[data-map="order"] [data-marker-id="driver"]');
  if ((await marker.count()) === 0) return null;
  const [lat, lng] = await Promise.all([marker.getAttribute('data-lat'), marker.getAttribute('data-lng')]);
  return lat && lng ? { lat: Number(lat), lng: Number(lng) } : null;
}
