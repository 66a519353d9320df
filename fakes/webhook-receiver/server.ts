/**
 * A merchant's webhook receiver: `POST /hooks/{name}` checks the Standard
 * Webhooks signature (its own node:crypto implementation of the spec, not the
 * platform's module) with the secret registered for that name, records what
 * arrived, and answers 204 (or whatever a fault says, e.g. fail 3 times).
 * A delivery whose signature does not verify is answered 401 and recorded.
 *
 * Control: POST /_fake/secrets { name, secret }, GET /_fake/received?name=…
 *
 * It also answers DNS over HTTPS (`GET /dns-query?name=…&type=A|AAAA`, the
 * JSON flavour) for the names set with POST /_fake/dns { name, a, aaaa }, so
 * the webhook URL policy outside local mode resolves here and never on the
 * internet (tests set DNS_RESOLVER_URL to it); GET /_fake/dns-queries?name=….
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { startFake, type RunningFake } from '../shared/server';
import { newest } from '../shared/state-file';

export interface ReceivedWebhook {
  name: string;
  webhookId: string | null;
  timestamp: string | null;
  signature: string | null;
  /** null when no secret is registered for the name. */
  verified: boolean | null;
  body: unknown;
  /** What the receiver answered (after faults: recorded only when it got this far). */
  status: number;
  at: string;
}

export interface WebhookReceiverFake extends RunningFake {
  received: ReceivedWebhook[];
  setSecret(name: string, secret: string): void;
}

/** The spec's verification: HMAC-SHA256 over `id.timestamp.body`, key = base64-decoded secret after `whsec_`. */
export function verifyStandardWebhook(secret: string, id: string, timestamp: string, body: string, signatureHeader: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatureHeader.split(' ').some((part) => {
    const [version, sig] = part.split(',');
    if (version !== 'v1' || !sig) return false;
    const given = Buffer.from(sig, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** `stateFile` keeps the secrets and what arrived across restarts (npm start); omitted = memory only. */
export async function startWebhookReceiverFake(options: { port?: number; stateFile?: string } = {}): Promise<WebhookReceiverFake> {
  const secrets = new Map<string, string>();
  const received: ReceivedWebhook[] = [];
  const dns = new Map<string, { a: string[]; aaaa: string[] }>();
  const dnsQueries: { name: string; type: string; accept: string | null }[] = [];
  const fake = await startFake({
    name: 'webhook-receiver',
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.stateFile
      ? {
          memory: {
            file: options.stateFile,
            save: () => ({ secrets: [...secrets.entries()], received: newest(received, 2_000) }),
            load: (saved: { secrets: [string, string][]; received: ReceivedWebhook[] }) => {
              for (const [name, secret] of saved.secrets) secrets.set(name, secret);
              received.push(...saved.received);
            },
          },
        }
      : {}),
    handle: ({ method, url, body, headers }) => {
      // DNS over HTTPS in the JSON flavour the platform's resolver speaks (url-policy.ts dohResolver): the names a
      // test set with /_fake/dns, NXDOMAIN (Status 3) for any other; every question is kept for /_fake/dns-queries.
      if (url.pathname === '/dns-query' && method === 'GET') {
        const name = (url.searchParams.get('name') ?? '').toLowerCase();
        const type = url.searchParams.get('type') ?? 'A';
        dnsQueries.push({ name, type, accept: headers['accept'] ?? null });
        const record = dns.get(name);
        if (!record) return { status: 200, body: { Status: 3, Answer: [] } };
        const data = type === 'AAAA' ? record.aaaa : record.a;
        return { status: 200, body: { Status: 0, Answer: data.map((d) => ({ name, type: type === 'AAAA' ? 28 : 1, TTL: 60, data: d })) } };
      }
      const m = /^\/hooks\/([^/]+)$/.exec(url.pathname);
      if (!m || method !== 'POST') return { status: 404, body: { error: 'not found' } };
      const name = decodeURIComponent(m[1]!);
      const secret = secrets.get(name);
      const id = headers['webhook-id'] ?? null;
      const timestamp = headers['webhook-timestamp'] ?? null;
      const signature = headers['webhook-signature'] ?? null;
      const verified = secret === undefined ? null : Boolean(id && timestamp && signature && verifyStandardWebhook(secret, id, timestamp, body, signature));
      let parsed: unknown = body;
      try {
        parsed = JSON.parse(body);
      } catch {
        // Kept as text.
      }
      const status = verified === false ? 401 : 204;
      received.push({ name, webhookId: id, timestamp, signature, verified, body: parsed, status, at: new Date().toISOString() });
      return { status };
    },
    control: ({ url, method, body }) => {
      if (url.pathname === '/_fake/secrets' && method === 'POST') {
        const { name, secret } = JSON.parse(body) as { name: string; secret: string };
        secrets.set(name, secret);
        return { status: 200, body: {} };
      }
      if (url.pathname === '/_fake/dns' && method === 'POST') {
        const { name, a = [], aaaa = [] } = JSON.parse(body) as { name: string; a?: string[]; aaaa?: string[] };
        dns.set(name.toLowerCase(), { a, aaaa });
        return { status: 200, body: {} };
      }
      if (url.pathname === '/_fake/dns-queries') {
        const name = url.searchParams.get('name');
        return { status: 200, body: { items: dnsQueries.filter((q) => !name || q.name === name) } };
      }
      if (url.pathname === '/_fake/received') {
        const name = url.searchParams.get('name');
        return { status: 200, body: { items: received.filter((r) => !name || r.name === name) } };
      }
      return undefined;
    },
  });
  return { ...fake, received, setSecret: (name, secret) => void secrets.set(name, secret) };
}
