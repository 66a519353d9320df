/**
 * The workerd suites' guard (test/support/worker-entry.ts): a request to
 * anything but this machine is refused before it is sent, and loopback (the
 * provider fakes) still goes through.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import '../support/worker-entry';

describe('no request leaves the machine', () => {
  it('refuses a public destination as a network error, and lets the local fakes through', async () => {
    await expect(fetch('https://cloudflare-dns.com/dns-query?name=example.com&type=A')).rejects.toThrow(/not on this machine/);
    await expect(fetch(new Request('https://api.stripe.com/v1/payment_intents', { method: 'POST' }))).rejects.toThrow(/not on this machine/);
    const local = await fetch(`${env.STRIPE_API_BASE}/v1/payment_intents`, { headers: { Authorization: 'Bearer sk_test_wrong' } });
    expect(local.status).toBe(401);
  });
});
