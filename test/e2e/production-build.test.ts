/**
 * What a production build ships (ADR 0086): no demo account — neither the
 * demo password nor any demo email, which every bundle carried before — and
 * the `_headers` file with the production policy (Stripe's sources, HSTS,
 * nothing on loopback). Built into a temporary folder with `vite build`, as
 * a deploy builds it, so the platform's own build (dist/web) is untouched.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMER, DEMO_DRIVERS, DEMO_MERCHANTS, DEMO_OPS, DEMO_PASSWORD } from '../../scripts/lib/demo-city';
import { ROOT } from '../../scripts/lib/local-env';

const out = mkdtempSync(path.join(tmpdir(), 'dp-production-build-'));

function filesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesOf(file) : [file];
  });
}

describe('V14.3.2 V2.10.4 API8:2023 a production build', () => {
  beforeAll(() => {
    const build = spawnSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn', '--outDir', out, '--emptyOutDir'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production' },
      encoding: 'utf8',
    });
    expect(build.status, build.stderr).toBe(0);
  }, 180_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('carries no demo password and no demo account email in any file', () => {
    const demo = [DEMO_PASSWORD, DEMO_OPS.email, DEMO_CUSTOMER.email, ...DEMO_MERCHANTS.map((m) => m.ownerEmail), ...DEMO_DRIVERS.map((d) => d.email), '@demo.delivery'];
    const files = filesOf(out);
    expect(files.some((f) => f.endsWith('.js'))).toBe(true);
    for (const file of files) {
      const text = readFileSync(file, 'latin1');
      for (const secret of demo) expect(text, `${path.relative(out, file)} contains ${secret}`).not.toContain(secret);
    }
  });

  it('writes the production headers: Stripe’s sources, HSTS, nothing on loopback, tracking pages noindex', () => {
    const headers = readFileSync(path.join(out, '_headers'), 'utf8');
    expect(headers).toMatch(/^\/\*$/m);
    expect(headers).toContain('script-src \'self\' https://js.stripe.com https://*.js.stripe.com;');
    expect(headers).toContain('Strict-Transport-Security: max-age=63072000; includeSubDomains');
    expect(headers).not.toMatch(/127\.0\.0\.1|localhost|unsafe-inline|unsafe-eval/);
    expect(headers).toMatch(/^\/track\/\*\n {2}Referrer-Policy: no-referrer\n {2}X-Robots-Tag: noindex, nofollow, noarchive$/m);
  });
});
