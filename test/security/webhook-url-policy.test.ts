/**
 * The merchant webhook URL policy (workers/services/webhooks/url-policy.ts,
 * ADR 0085) as a table: every way of writing an address that is not public,
 * each refused; public URLs allowed. Before it, `[::127.0.0.1]`,
 * `[64:ff9b::…]`, `[fec0::1]` and `127.0.0.1.nip.io` were accepted.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { newId } from '../../db/ids';
import { webhookEndpoints } from '../../db/schema/index';
import { createApp } from '../../workers/app';
import { attemptDelivery } from '../../workers/services/webhooks/deliveries';
import { generateWebhookSecret } from '../../workers/services/webhooks/signature';
import { checkWebhookTarget, refuseWebhookUrl, type Resolver } from '../../workers/services/webhooks/url-policy';
import { createCity, createMerchant, db } from '../workers/helpers/commerce';

const prod = { localMode: false };

// prettier-ignore
const REFUSED: [label: string, url: string][] = [
  // IPv4 literals, in every form the URL parser normalises
  ['loopback', 'https://127.0.0.1/h'],
  ['loopback, other address', 'https://127.255.0.9/h'],
  ['loopback, short form', 'https://127.1/h'],
  ['loopback, decimal', 'https://2130706433/h'],
  ['loopback, hex', 'https://0x7f000001/h'],
  ['loopback, octal', 'https://0177.0.0.1/h'],
  ['loopback, mixed octal/hex parts', 'https://0x7f.0.0.01/h'],
  ['this network', 'https://0.0.0.0/h'],
  ['this network, 0/8', 'https://0.1.2.3/h'],
  ['private 10/8', 'https://10.0.0.1/h'],
  ['private 10/8, decimal', 'https://167772161/h'],
  ['private 172.16/12', 'https://172.16.0.1/h'],
  ['private 172.31', 'https://172.31.255.255/h'],
  ['private 192.168/16', 'https://192.168.1.1/h'],
  ['CGNAT 100.64/10', 'https://100.64.0.1/h'],
  ['CGNAT upper end', 'https://100.127.255.254/h'],
  ['link-local / metadata', 'https://169.254.169.254/h'],
  ['link-local, hex', 'https://0xa9fea9fe/h'],
  ['IETF assignments', 'https://192.0.0.8/h'],
  ['TEST-NET-1', 'https://192.0.2.1/h'],
  ['TEST-NET-2', 'https://198.51.100.1/h'],
  ['TEST-NET-3', 'https://203.0.113.1/h'],
  ['benchmarking', 'https://198.18.0.1/h'],
  ['6to4 relay anycast', 'https://192.88.99.1/h'],
  ['multicast', 'https://224.0.0.1/h'],
  ['multicast, upper', 'https://239.255.255.250/h'],
  ['reserved', 'https://240.0.0.1/h'],
  ['broadcast', 'https://255.255.255.255/h'],
  // IPv6 literals
  ['unspecified', 'https://[::]/h'],
  ['loopback', 'https://[::1]/h'],
  ['loopback, long form', 'https://[0:0:0:0:0:0:0:1]/h'],
  ['IPv4-compatible loopback', 'https://[::127.0.0.1]/h'],
  ['IPv4-compatible private', 'https://[::10.0.0.1]/h'],
  ['IPv4-compatible public (refused whole)', 'https://[::8.8.8.8]/h'],
  ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/h'],
  ['IPv4-mapped private', 'https://[::ffff:10.0.0.1]/h'],
  ['IPv4-mapped metadata, hex', 'https://[::ffff:a9fe:a9fe]/h'],
  ['IPv4-mapped public (refused whole)', 'https://[::ffff:8.8.8.8]/h'],
  ['IPv4-translated', 'https://[::ffff:0:10.0.0.1]/h'],
  ['NAT64 well-known prefix', 'https://[64:ff9b::7f00:1]/h'],
  ['NAT64 of a public address (refused whole)', 'https://[64:ff9b::808:808]/h'],
  ['NAT64 local-use prefix', 'https://[64:ff9b:1::a00:1]/h'],
  ['NAT64 with dotted tail', 'https://[64:ff9b::192.168.0.1]/h'],
  ['unique local fc00::/7', 'https://[fc00::1]/h'],
  ['unique local fd', 'https://[fd12:3456:789a::1]/h'],
  ['link-local fe80::/10', 'https://[fe80::1]/h'],
  ['link-local febf', 'https://[febf::1]/h'],
  ['site-local fec0::/10 (deprecated)', 'https://[fec0::1]/h'],
  ['site-local feff', 'https://[feff::1]/h'],
  ['multicast', 'https://[ff02::1]/h'],
  ['discard-only', 'https://[100::1]/h'],
  ['documentation 2001:db8::/32', 'https://[2001:db8::1]/h'],
  ['documentation 3fff::/20', 'https://[3fff::1]/h'],
  ['6to4 of loopback', 'https://[2002:7f00:1::1]/h'],
  ['6to4 of 10.0.0.1', 'https://[2002:a00:1::]/h'],
  ['6to4 of 192.168.1.1', 'https://[2002:c0a8:101::1]/h'],
  ['Teredo with a private client', 'https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/h'],
  ['Teredo with a private server', 'https://[2001:0:a00:1:8000:63bf:3fff:fdd2]/h'],
  // Names
  ['localhost', 'https://localhost/h'],
  ['localhost, trailing dot', 'https://localhost./h'],
  ['under localhost', 'https://api.localhost/h'],
  ['single label', 'https://intranet/h'],
  ['.local', 'https://printer.local/h'],
  ['.internal', 'https://db.internal/h'],
  ['.home.arpa', 'https://nas.home.arpa/h'],
  ['nip.io', 'https://127.0.0.1.nip.io/h'],
  ['nip.io, dashed', 'https://app-10-0-0-1.nip.io/h'],
  ['nip.io, public (the service itself is refused)', 'https://8.8.8.8.nip.io/h'],
  ['sslip.io, hex', 'https://7f000001.sslip.io/h'],
  ['sslip.io, IPv6', 'https://--1.sslip.io/h'],
  ['xip.io', 'https://10.0.0.1.xip.io/h'],
  ['localtest.me', 'https://localtest.me/h'],
  ['under localtest.me', 'https://hooks.localtest.me/h'],
  ['lvh.me', 'https://shop.lvh.me/h'],
  ['vcap.me', 'https://vcap.me/h'],
  ['traefik.me', 'https://10.0.0.1.traefik.me/h'],
  ['rebinding service', 'https://7f000001.c0a80001.rbndr.us/h'],
  ['a name spelling a private address', 'https://10.0.0.1.evil.example.com/h'],
  ['a name spelling loopback with dashes', 'https://127-0-0-1.evil.example.com/h'],
  ['a name spelling loopback in hex', 'https://7f000001.evil.example.com/h'],
  ['a name spelling link-local IPv6', 'https://fe80--1.evil.example.com/h'],
  // Scheme and credentials
  ['http', 'http://hooks.example.com/h'],
  ['ftp', 'ftp://hooks.example.com/h'],
  ['not a URL', 'hooks.example.com/h'],
  ['credentials', 'https://user:pass@hooks.example.com/h'],
];

// prettier-ignore
const ALLOWED: string[] = [
  'https://hooks.example.com/h',
  'https://hooks.example.com:8443/h',
  'https://8.8.8.8/h',
  'https://1.1.1.1/h',
  'https://100.128.0.1/h', // just past CGNAT
  'https://172.32.0.1/h', // just past 172.16/12
  'https://[2606:4700:4700::1111]/h',
  'https://[2a00:1450:4007:80e::200e]/h',
  'https://[2002:808:808::1]/h', // 6to4 of a public address
  'https://ec2-54-1-2-3.compute-1.amazonaws.com/h', // spells a public address
];

describe('V5.2.6 V12.6.1 API7:2023 server-side request forgery: the webhook URL policy table', () => {
  it.each(REFUSED)('refuses %s: %s', (_label, url) => {
    expect(refuseWebhookUrl(url, prod)).toBeDefined();
  });

  it.each(ALLOWED)('allows %s', (url) => {
    expect(refuseWebhookUrl(url, prod)).toBeUndefined();
  });

  it('local mode keeps loopback and http for the fakes, never credentials', () => {
    expect(refuseWebhookUrl('http://127.0.0.1:8799/hooks/a', { localMode: true })).toBeUndefined();
    expect(refuseWebhookUrl('http://u:p@127.0.0.1/hooks', { localMode: true })).toBeDefined();
    expect(refuseWebhookUrl('http://localhost:8799/hooks/a', { localMode: true })).toBeUndefined();
    expect(refuseWebhookUrl('http://[::1]:8799/hooks/a', { localMode: true })).toBeUndefined();
    // Found on npm start: a loopback or private address in disguise passed in local mode.
    for (const disguised of ['http://[64:ff9b::7f00:1]/hook', 'http://[::127.0.0.1]/hook', 'http://[::ffff:10.0.0.1]/hook', 'http://[fec0::1]/hook', 'http://10.0.0.1/hook', 'http://127.0.0.1.nip.io/hook']) {
      expect(refuseWebhookUrl(disguised, { localMode: true }), disguised).toBeDefined();
    }
  });
});

describe('V5.2.6 API7:2023 names are resolved: a public-looking name that points inside is refused', () => {
  const dns: Record<string, string[]> = {
    'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'sneaky.example.com': ['93.184.216.34', '10.0.0.7'],
    'v6.example.com': ['::ffff:127.0.0.1'],
    'nat64.example.com': ['64:ff9b::a9fe:a9fe'],
    'gone.example.com': [],
  };
  const resolve: Resolver = async (host) => {
    if (host === 'down.example.com') throw new Error('resolver timed out');
    return dns[host] ?? [];
  };
  it('every answer must be public; no answer is a refusal; a resolver failure is not', async () => {
    expect(await checkWebhookTarget('https://hooks.example.com/h', { ...prod, resolve })).toEqual({ ok: true });
    expect(await checkWebhookTarget('https://sneaky.example.com/h', { ...prod, resolve })).toMatchObject({ ok: false, refused: expect.stringMatching(/resolve/) });
    expect(await checkWebhookTarget('https://v6.example.com/h', { ...prod, resolve })).toMatchObject({ ok: false, refused: expect.stringMatching(/IPv4-mapped/) });
    expect(await checkWebhookTarget('https://nat64.example.com/h', { ...prod, resolve })).toMatchObject({ ok: false, refused: expect.stringMatching(/NAT64/) });
    expect(await checkWebhookTarget('https://gone.example.com/h', { ...prod, resolve })).toMatchObject({ ok: false, refused: expect.stringMatching(/resolves/) });
    expect(await checkWebhookTarget('https://down.example.com/h', { ...prod, resolve })).toMatchObject({ ok: false, unresolved: expect.stringMatching(/timed out/) });
  });

  it('before each delivery: a registered name that now resolves to a private address is not called', async () => {
    const merchant = await createMerchant(await createCity());
    const id = newId('whk');
    const [endpoint] = await db().insert(webhookEndpoints).values({ id, merchantId: merchant.merchantId, url: 'https://sneaky.example.com/h', events: ['*'], secret: generateWebhookSecret() }).returning();
    const fetcher = vi.fn(async () => new Response(null, { status: 204 }));
    const payload = { id: newId('obx'), type: 'order.placed', createdAt: new Date().toISOString(), data: {} };
    const made = await attemptDelivery({ db: db(), localMode: false, encryptionKeys: env.DATA_ENCRYPTION_KEYS, resolve, fetch: fetcher as unknown as typeof fetch, scheduleRetry: async () => undefined }, endpoint!, payload, 1, 'event');
    expect(fetcher).not.toHaveBeenCalled();
    expect(made).toMatchObject({ status: 'dead', error: expect.stringMatching(/^target refused/) });
  });
});

describe('V5.2.6 API7:2023 the registration route refuses them with 422 outside local mode', () => {
  it.each([
    'https://[::127.0.0.1]/h',
    'https://[64:ff9b::7f00:1]/h',
    'https://[fec0::1]/h',
    'https://127.0.0.1.nip.io/h',
  ])('POST /v1/merchants/{id}/webhooks %s → 422', async (url) => {
    const merchant = await createMerchant(await createCity());
    const app = createApp();
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`http://platform.test/v1/merchants/${merchant.merchantId}/webhooks`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${merchant.ownerToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ url, events: ['*'] }),
      }),
      { ...env, APP_ENV: 'production' },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(422);
    expect((await res.json<{ errors: { path: string }[] }>()).errors[0]!.path).toBe('json.url');
  });
});
