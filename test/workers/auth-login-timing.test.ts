import { describe, expect, it } from 'vitest';
import { call, createCity, register, uniqueEmail } from './auth-helpers';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timedLogin(email: string, password: string) {
  const t0 = performance.now();
  const res = await call('/v1/auth/login', { body: { email, password } });
  const ms = performance.now() - t0;
  const body = (await res.json()) as Record<string, unknown>;
  return { ms, status: res.status, body, wwwAuthenticate: res.headers.get('www-authenticate') };
}

describe('login: unknown email and wrong password', () => {
  it('get the same answer', async () => {
    const account = await register('customer', await createCity());
    const unknown = await timedLogin(uniqueEmail('nobody'), 'wrong password 123');
    const wrong = await timedLogin(account.email, 'wrong password 123');
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.wwwAuthenticate).toBe(wrong.wwwAuthenticate);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('take the same time (paired median difference within 15 % or 25 ms)', async () => {
    const account = await register('customer', await createCity());
    const nobody = uniqueEmail('nobody');
    // One warm-up each (the first call to an account's limiter object creates it).
    await timedLogin(nobody, 'wrong password 123');
    await timedLogin(account.email, 'wrong password 123');
    // Pairs taken back to back, alternating which goes first, so machine load
    // (other test files run alongside) hits both members of a pair alike; the
    // median of the per-pair differences ignores the pairs a burst disturbed.
    const unknownMs: number[] = [];
    const wrongMs: number[] = [];
    const diffs: number[] = [];
    for (let i = 0; i < 15; i++) {
      const first = i % 2 === 0;
      const a = first ? await timedLogin(nobody, 'wrong password 123') : await timedLogin(account.email, 'wrong password 123');
      const b = first ? await timedLogin(account.email, 'wrong password 123') : await timedLogin(nobody, 'wrong password 123');
      const [unknown, wrong] = first ? [a, b] : [b, a];
      unknownMs.push(unknown.ms);
      wrongMs.push(wrong.ms);
      diffs.push(unknown.ms - wrong.ms);
    }
    const [u, w, d] = [median(unknownMs), median(wrongMs), median(diffs)];
    console.log(`login timing: unknown email median ${u.toFixed(1)} ms, wrong password median ${w.toFixed(1)} ms, paired median difference ${d.toFixed(1)} ms`);
    // Both pay for one scrypt derivation: far above what a lookup miss alone costs.
    expect(Math.min(u, w)).toBeGreaterThan(50);
    expect(Math.abs(d)).toBeLessThan(Math.max(25, 0.15 * w));
  }, 120_000);
});
