/**
 * `npm run security:check`: the security issue's findings retried against a
 * running platform (`npm start`) as a new client would, each expected to be
 * refused now. Prints one line per finding and exits 1 if any got through.
 * The controls themselves are tested in test/security (docs/security.md);
 * this is the operator's check that the running build has them.
 *
 * Options: --base URL (default http://127.0.0.1:$PORT or :8787)
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt } from 'jose';
import http from 'node:http';
import type { Socket } from 'node:net';
import { DEMO_MERCHANTS, DEMO_PASSWORD } from './lib/demo-city';
import { localSecrets } from './lib/local-env';

const argv = process.argv.slice(2);
const BASE = (argv.includes('--base') ? argv[argv.indexOf('--base') + 1] : undefined) ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;
const results: { finding: string; ok: boolean; saw: string }[] = [];
const check = (finding: string, ok: boolean, saw: string) => {
  results.push({ finding, ok, saw });
  console.log(`${ok ? 'refused ' : 'GOT IN  '} ${finding}: ${saw}`);
};

async function call(path: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${BASE}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

// This run's own client address (the Worker reads CF-Connecting-IP, as behind Cloudflare), so an earlier run's throttling does not carry over.
const RUN_IP = `192.0.2.${1 + Math.floor(Math.random() * 250)}`;
const login = async (email: string, password = DEMO_PASSWORD) => {
  const res = await call('/v1/auth/login', { headers: { 'CF-Connecting-IP': RUN_IP }, body: { email, password } });
  if (res.status !== 200) throw new Error(`sign-in of ${email}: ${res.status} ${String(res.body.detail ?? '')}`);
  return res.body as { accessToken: string; deviceToken?: string };
};
// Sessions first: the sign-in throttle (20 a minute per IP) must not be spent by the checks below.
const sessions = await Promise.all(DEMO_MERCHANTS.map((m) => login(m.ownerEmail)));
const sessionOf = (i: number) => sessions[i]!;

// 1. Tokens outlive the account; a JWT without exp.
{
  const email = `sec-check-${randomUUID().slice(0, 8)}@example.com`;
  const reg = await call('/v1/auth/register', { body: { role: 'customer', name: 'Security Check', email, password: 'a long enough password 2026' } });
  const token = (reg.body as { accessToken?: string }).accessToken!;
  const erased = await call('/v1/me', { method: 'DELETE', token });
  const after = await call('/v1/me/devices', { token, body: { pushToken: `tok-${randomUUID()}`, platform: 'android' } });
  check('1a token after DELETE /v1/me', after.status === 401, `erasure ${erased.status}, then register a device → ${after.status}`);
  const keys = JSON.parse(localSecrets().JWT_SIGNING_KEYS!) as { kid: string; secret: string }[];
  const claims = decodeJwt(sessionOf(0).accessToken);
  const { exp: _exp, ...rest } = claims;
  const forged = await new SignJWT(rest).setProtectedHeader({ alg: 'HS256', kid: keys[0]!.kid }).sign(Buffer.from(keys[0]!.secret, 'base64url'));
  const noExp = await call('/v1/me', { token: forged });
  check('1b JWT signed with the real key but without exp', noExp.status === 401, `GET /v1/me → ${noExp.status}`);
}

// 2. NUL bytes.
for (const path of ['/v1/merchants?cityId=a%00b', '/v1/orders/ord_%00abc', '/v1/track/abc%00']) {
  const res = await call(path, { token: sessionOf(0).accessToken });
  check(`2 NUL in ${path}`, res.status === 404 || res.status === 422, `${res.status} ${String(res.body.type ?? '')}`);
}

// 5. Secrets at rest: a replayed webhook registration shows no secret.
{
  const owner = sessionOf(1);
  const me = (await call('/v1/me', { token: owner.accessToken })).body as { merchantId: string };
  const key = randomUUID();
  const req = { token: owner.accessToken, headers: { 'Idempotency-Key': key }, body: { url: 'https://hooks.example.com/security-check', events: ['order.placed'] } };
  const first = await call(`/v1/merchants/${me.merchantId}/webhooks`, req);
  const replay = await call(`/v1/merchants/${me.merchantId}/webhooks`, req);
  check('5 webhook secret shown again on replay', typeof first.body.secret === 'string' && replay.body.secret === undefined, `first ${first.status} with secret ${typeof first.body.secret === 'string'}, replay ${replay.status} with secret ${replay.body.secret !== undefined}`);
  if (typeof first.body.id === 'string') await call(`/v1/merchants/${me.merchantId}/webhooks/${first.body.id}`, { method: 'DELETE', token: owner.accessToken });
}

// 6. Browser headers.
{
  const page = await fetch(`${BASE}/`);
  const csp = page.headers.get('content-security-policy') ?? '';
  check('6a page without CSP / nosniff / frame-ancestors', csp.includes("frame-ancestors 'none'") && !csp.includes('unsafe-inline') && page.headers.get('x-content-type-options') === 'nosniff', `CSP ${csp ? 'present' : 'missing'}, nosniff ${page.headers.get('x-content-type-options')}`);
  const loginRes = await fetch(`${BASE}/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: DEMO_MERCHANTS[0]!.ownerEmail, password: DEMO_PASSWORD }) });
  check('6b login answer cacheable', loginRes.headers.get('cache-control')?.includes('no-store') === true, `Cache-Control: ${loginRes.headers.get('cache-control')}`);
  const track = await fetch(`${BASE}/track/abc`);
  check('6c tracking page indexable', (track.headers.get('x-robots-tag') ?? '').includes('noindex'), `X-Robots-Tag: ${track.headers.get('x-robots-tag')}`);
}

// 7. Abuse: the 11th feed socket of a merchant, a webhook URL in a loopback disguise.
{
  const owner = sessionOf(0);
  const me = (await call('/v1/me', { token: owner.accessToken })).body as { merchantId: string };
  const sockets: Socket[] = [];
  let refused = '';
  // Raw upgrades (node:http), so a refusal's status and headers are seen.
  const upgrade = () =>
    new Promise<string>((resolve) => {
      const req = http.request(`${BASE}/v1/merchants/${me.merchantId}/live?access_token=${owner.accessToken}`, {
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': Buffer.from(randomUUID().slice(0, 16)).toString('base64') },
      });
      req.on('upgrade', (_res, socket) => {
        sockets.push(socket);
        resolve('');
      });
      req.on('response', (res) => resolve(`${res.statusCode} ${res.headers['content-type']} Retry-After ${res.headers['retry-after']}`));
      req.on('error', (e) => resolve(`error ${e.message}`));
      req.end();
    });
  for (let i = 0; i < 11 && !refused; i++) refused = await upgrade();
  for (const socket of sockets) socket.destroy();
  check('7a unlimited feed sockets per merchant', refused.startsWith('429 application/problem+json'), refused ? `after ${sockets.length} sockets: ${refused}` : `${sockets.length} sockets opened`);
  const hook = await call(`/v1/merchants/${me.merchantId}/webhooks`, { token: owner.accessToken, headers: { 'Idempotency-Key': randomUUID() }, body: { url: 'http://[64:ff9b::7f00:1]/hook', events: ['order.placed'] } });
  check('7b webhook URL to NAT64 loopback', hook.status === 422, `${hook.status} ${String(hook.body.type ?? '')}`);
}

// 8. An owner can leave: the erasure's refusal names the way out, and the routes exist.
{
  const owner = sessionOf(0);
  const me = (await call('/v1/me', { token: owner.accessToken })).body as { merchantId: string };
  const transfer = await call(`/v1/merchants/${me.merchantId}/ownership-transfer`, { token: owner.accessToken, body: { toUserId: 'usr_nobody', password: DEMO_PASSWORD } });
  check('8 no way for an owner to transfer or close', transfer.status === 404 && String(transfer.body.type ?? '').length > 0 && !String(transfer.body.detail ?? '').startsWith('No route'), `transfer to a non-member → ${transfer.status} (${String(transfer.body.detail ?? '')})`);
}

// 4. Lockout as a weapon: 30 wrong passwords from one address, then the owner from another (a device that signed in before) gets in at once.
{
  const email = DEMO_MERCHANTS[2]!.ownerEmail;
  const device = sessionOf(2).deviceToken;
  const statuses = new Map<number, number>();
  for (let i = 0; i < 30; i++) {
    const s = (await call('/v1/auth/login', { headers: { 'CF-Connecting-IP': `198.51.100.${1 + Math.floor(Math.random() * 250)}` }, body: { email, password: `wrong-${i}` } })).status;
    statuses.set(s, (statuses.get(s) ?? 0) + 1);
  }
  const owner = await call('/v1/auth/login', { headers: { 'CF-Connecting-IP': `203.0.113.${1 + Math.floor(Math.random() * 250)}` }, body: { email, password: DEMO_PASSWORD, deviceToken: device } });
  check('4 account locked by one IP', owner.status === 200, `30 wrong from one address: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}; then the owner's known device from another → ${owner.status}`);
}

const failed = results.filter((r) => !r.ok);
console.log(`\nsecurity-check: ${results.length - failed.length} of ${results.length} refused`);
process.exit(failed.length === 0 ? 0 : 1);
