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

  it('take the same time (medians within 20 % or 25 ms)', async () => {
    const account = await register('customer', await createCity());
    const nobody = uniqueEmail('nobody');
    const unknownMs: number[] = [];
    const wrongMs: number[] = [];
    // One warm-up each (the first call to an account's limiter object creates it),
    // then interleaved, so drift in machine load hits both series alike.
    await timedLogin(nobody, 'wrong password 123');
    await timedLogin(account.email, 'wrong password 123');
    for (let i = 0; i < 9; i++) {
      unknownMs.push((await timedLogin(nobody, 'wrong password 123')).ms);
      wrongMs.push((await timedLogin(account.email, 'wrong password 123')).ms);
    }
    const [u, w] = [median(unknownMs), median(wrongMs)];
    console.log(`login timing: unknown email median ${u.toFixed(1)} ms, wrong password median ${w.toFixed(1)} ms`);
    // Both pay for one scrypt derivation: far above what a lookup miss alone costs.
    expect(Math.min(u, w)).toBeGreaterThan(50);
    expect(Math.abs(u - w)).toBeLessThan(Math.max(25, 0.2 * Math.max(u, w)));
  }, 60_000);
});
