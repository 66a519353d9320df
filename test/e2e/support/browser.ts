/**
 * Debian's Chromium driven by playwright-core: never a downloaded browser
 * (CHROMIUM_PATH overrides where it is). Every page's errors are collected so
 * a test can fail on an uncaught exception in the apps.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../../test-results/screenshots');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

export const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
export const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 900 } };

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions in the page, and console errors other than failed requests. */
  errors: string[];
  /** Every `securitypolicyviolation` the page's documents fired (ADR 0086): none is allowed. */
  cspViolations: string[];
}

/**
 * Listens for CSP violations in every document of the context, from before
 * its first script: the listener is added by an init script, and each
 * violation is reported through a binding, so a violation during a
 * navigation is not lost with the page.
 */
async function watchCsp(context: BrowserContext, name: string, into: string[]): Promise<void> {
  await context.exposeBinding('__dpCspViolation', (_source, v: { directive: string; blocked: string; source: string; sample: string }) => {
    into.push(`${name}: ${v.directive} blocked ${v.blocked || '(inline)'} at ${v.source} ${v.sample}`.trim());
  });
  // Browser code, as text (this file is compiled for Node, without the DOM's types).
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) => {
      window.__dpCspViolation?.({ directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile + ':' + e.lineNumber, sample: e.sample });
    });`,
  });
}

export async function openPage(browser: Browser, name: string, options: BrowserContextOptions): Promise<WatchedPage> {
  const context = await browser.newContext(options);
  const cspViolations: string[] = [];
  await watchCsp(context, name, cspViolations);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  page.on('console', (m) => {
    // The browser logs failed requests and socket attempts (offline) as console errors
    // itself; the tests assert on what the UI does about them instead.
    const browserNetworkLog = /^(Failed to load resource|WebSocket connection to )/.test(m.text());
    if (m.type() === 'error' && !browserNetworkLog) errors.push(`${name}: ${m.text()}`);
  });
  return { page, context, errors, cspViolations };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
