import { describe, expect, it } from 'vitest';
import { nextRetryDelay, RETRY_DELAYS_SECONDS } from '../../workers/services/webhooks/retry-schedule';
import { generateWebhookSecret, signWebhook, verifyWebhook } from '../../workers/services/webhooks/signature';
import { refuseWebhookUrl } from '../../workers/services/webhooks/url-policy';
import { verifyStandardWebhook } from '../../fakes/webhook-receiver/server';

describe('Standard Webhooks signatures', () => {
  // The example of the Standard Webhooks reference libraries.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = 1614265330;
  const body = '{"test": 2432232314}';

  it('match the specification’s test vector', () => {
    expect(signWebhook(secret, id, timestamp, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verify with the receiver’s independent implementation, and fail on any change', () => {
    const fresh = generateWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const sig = signWebhook(fresh, id, now, body);
    expect(verifyStandardWebhook(fresh, id, String(now), body, sig)).toBe(true);
    expect(verifyStandardWebhook(fresh, id, String(now), `${body} `, sig)).toBe(false);
    expect(verifyStandardWebhook(generateWebhookSecret(), id, String(now), body, sig)).toBe(false);
    expect(verifyWebhook(fresh, { id, timestamp: String(now), signature: `v1,bogus ${sig}` }, body)).toBe(true);
    expect(verifyWebhook(fresh, { id: 'msg_other', timestamp: String(now), signature: sig }, body)).toBe(false);
    expect(verifyWebhook(fresh, { id, timestamp: String(now), signature: null }, body)).toBe(false);
    // Outside the 5-minute tolerance: a replayed old delivery is refused, and so is one from the future.
    const old = now - 301;
    expect(verifyWebhook(fresh, { id, timestamp: String(old), signature: signWebhook(fresh, id, old, body) }, body)).toBe(false);
    const ahead = now + 301;
    expect(verifyWebhook(fresh, { id, timestamp: String(ahead), signature: signWebhook(fresh, id, ahead, body) }, body)).toBe(false);
    const recent = now - 240;
    expect(verifyWebhook(fresh, { id, timestamp: String(recent), signature: signWebhook(fresh, id, recent, body) }, body)).toBe(true);
  });

  it('secrets are whsec_ + 32 random bytes in base64', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(generateWebhookSecret());
  });
});

describe('webhook retry schedule', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  it('backs off and stays within 24 hours of the event', () => {
    let now = t0;
    const delays: number[] = [];
    for (let attempt = 1; ; attempt++) {
      const d = nextRetryDelay(attempt, t0, now);
      if (d === null) break;
      delays.push(d);
      now += d * 1000;
    }
    expect(delays).toEqual([...RETRY_DELAYS_SECONDS]);
    expect(now - t0).toBeLessThanOrEqual(24 * 3600_000);
    expect(now - t0).toBeGreaterThan(23 * 3600_000);
    // An event already 23 h 59 min old gets no 5-minute retry.
    expect(nextRetryDelay(4, t0, t0 + 24 * 3600_000 - 60_000)).toBeNull();
  });
});

describe('webhook URL policy', () => {
  const prod = { localMode: false };
  it('allows public https URLs', () => {
    for (const url of ['https://hooks.example.com/x', 'https://8.8.8.8/x', 'https://[2606:4700::1111]/x', 'https://example.com:8443/hooks']) {
      expect(refuseWebhookUrl(url, prod), url).toBeUndefined();
    }
  });
  it('refuses http, credentials, and private, loopback, link-local or local names', () => {
    for (const url of [
      'http://hooks.example.com/x',
      'ftp://hooks.example.com/x',
      'not a url',
      'https://u:p@hooks.example.com/x',
      'https://localhost/x',
      'https://api.localhost/x',
      'https://intranet/x',
      'https://db.internal/x',
      'https://0.0.0.0/x',
      'https://127.1/x',
      'https://0x7f000001/x',
      'https://10.0.0.1/x',
      'https://100.64.0.1/x',
      'https://172.31.255.255/x',
      'https://192.168.0.1/x',
      'https://169.254.169.254/x',
      'https://224.0.0.1/x',
      'https://[::]/x',
      'https://[::1]/x',
      'https://[fd00::1]/x',
      'https://[fe80::abcd]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://[::ffff:a9fe:a9fe]/x',
    ]) {
      expect(refuseWebhookUrl(url, prod), url).toBeDefined();
    }
  });
  it('in local mode allows http and loopback, still not credentials', () => {
    expect(refuseWebhookUrl('http://127.0.0.1:8799/hooks/a', { localMode: true })).toBeUndefined();
    expect(refuseWebhookUrl('http://u:p@127.0.0.1/hooks', { localMode: true })).toBeDefined();
  });
});
