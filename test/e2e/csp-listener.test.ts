/**
 * The journey's CSP check is only as good as its listener: here a page whose
 * policy refuses an inline script and an inline style attribute must
 * be reported by support/browser.ts, so an empty list in the journey means
 * no violation, not a deaf listener.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DESKTOP, launchChromium, openPage } from './support/browser';

let server: http.Server;
let browser: Browser;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'");
    res.setHeader('Content-Type', 'text/html');
    res.end('<!doctype html><p style="color: red">styled</p><script>document.title = "inline ran"</script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server.close(resolve));
});

it('reports every violation from the first script of a page on', async () => {
  const watched = await openPage(browser, 'csp-probe', DESKTOP);
  await watched.page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await expect.poll(() => watched.cspViolations.length).toBeGreaterThanOrEqual(2);
  expect(watched.cspViolations.join('\n')).toMatch(/script-src-elem/);
  expect(watched.cspViolations.join('\n')).toMatch(/style-src-attr/);
  expect(await watched.page.title()).not.toBe('inline ran');
  await watched.context.close();
});
