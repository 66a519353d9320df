/**
 * A Stripe-compatible HTTP server for tests and `npm start`: the
 * PaymentIntent and refund endpoints the platform calls, in Stripe's wire
 * format (form-encoded requests, JSON objects and error envelopes), checking
 * the secret key, with Stripe's idempotency semantics and signed webhooks.
 *
 * Besides the secret-key API, it accepts what Stripe.js sends from a browser:
 * a publishable key (`pk_test_…`) plus the PaymentIntent's `client_secret`,
 * for retrieve and confirm only. That is how the local checkout pays offline.
 *
 * Control endpoints under `/_fake/` (secret key required) let tests fetch the
 * signed events, inject faults, make webhook delivery lossy, late, doubled and
 * out of order (`/_fake/webhook-chaos`), and finish a 3-D Secure challenge.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StripeLedger, type RequestContext } from './engine';
import { canonicalParams, parseForm, str, type FormObject } from './form';
import { IdempotencyStore } from './idempotency';
import { stripeId } from './ids';
import { API_VERSION, invalidRequest, StripeApiError, type EventObject } from './objects';
import { persistStripeFake } from './persistence';
import type { StateFile } from '../shared/state-file';
import { signedPayload, WebhookSender, type WebhookChaos } from './webhooks';

export interface StripeFakeOptions {
  /** The secret key the platform must present (`sk_test_…`). */
  secretKey: string;
  /** The webhook signing secret (`whsec_…`) events are signed with. */
  webhookSecret: string;
  /** Where to POST events; omitted: events are only listed at /_fake/events. */
  webhookUrl?: string;
  port?: number;
  host?: string;
  /** Retry schedule of webhook deliveries. */
  webhookRetry?: { maxAttempts?: number; baseDelayMs?: number };
  /** Webhook deliveries in flight at once (default 1, in order; fakes/stripe/webhooks.ts). */
  webhookConcurrency?: number;
  /**
   * The endpoint's `enabled_events`, as configured in Stripe: only these types are
   * POSTed (every event is still created and listed). Default `['*']`: all of them.
   */
  webhookEvents?: readonly string[];
  /** A JSON file that keeps the fake's state across restarts (npm start); omitted = memory only. */
  stateFile?: string;
  log?: (line: string) => void;
}

export interface StripeFake {
  url: string;
  port: number;
  ledger: StripeLedger;
  webhooks: WebhookSender;
  setWebhookUrl(url: string | undefined): void;
  stop(): Promise<void>;
}

interface Fault {
  remaining: number;
  status: number;
  pathPrefix: string;
  /** Only requests whose raw parameters contain this text (e.g. `amount=4321`). */
  bodyIncludes: string | undefined;
}

type Caller = { kind: 'secret' } | { kind: 'publishable' };

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Idempotency-Key, Stripe-Version',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Expose-Headers': 'Request-Id, Idempotent-Replayed',
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization ?? '';
  const b = /^Bearer\s+(\S+)$/i.exec(header);
  if (b) return b[1];
  const basic = /^Basic\s+(\S+)$/i.exec(header);
  if (basic) return Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0];
  return undefined;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Stripe-Version': API_VERSION, ...CORS_HEADERS, ...headers });
  res.end(body);
}

const redact = (key: string) => `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;

export async function startStripeFake(options: StripeFakeOptions): Promise<StripeFake> {
  let state: StateFile<unknown> | undefined;
  const changed = () => state?.changed();
  const webhooks = new WebhookSender(options.webhookUrl, options.webhookSecret, { ...options.webhookRetry, onAttempt: changed, ...(options.webhookConcurrency ? { concurrency: options.webhookConcurrency } : {}) });
  // Every change of the ledger emits an event: the one place to note that the state file is due.
  const enabled = new Set(options.webhookEvents ?? ['*']);
  const ledger = new StripeLedger((event: EventObject) => {
    if (enabled.has('*') || enabled.has(event.type)) webhooks.enqueue(event);
    changed();
  });
  const idempotency = new IdempotencyStore();
  if (options.stateFile) state = persistStripeFake(options.stateFile, { ledger, idempotency, webhooks }, options.log);
  const faults: Fault[] = [];

  function authenticate(req: IncomingMessage, params: FormObject): Caller {
    const key = bearer(req) ?? str(params.key);
    if (!key) throw invalidRequest('You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').', undefined, undefined, 401);
    if (key === options.secretKey) return { kind: 'secret' };
    if (/^pk_test_\w+$/.test(key)) return { kind: 'publishable' };
    throw invalidRequest(`Invalid API Key provided: ${redact(key)}`, undefined, undefined, 401);
  }

  /** Stripe.js calls: a publishable key only works together with the intent's client secret. */
  function requireClientSecret(caller: Caller, id: string, params: FormObject): void {
    if (caller.kind === 'secret') return;
    const pi = ledger.paymentIntent(id);
    if (str(params.client_secret) !== pi.client_secret) {
      throw invalidRequest('The client_secret provided does not match the client_secret associated with the PaymentIntent.', 'client_secret');
    }
  }

  function route(method: string, path: string, params: FormObject, caller: Caller, ctx: RequestContext): { status: number; body: object } {
    const onlySecret = () => {
      if (caller.kind !== 'secret') throw invalidRequest('This API call cannot be made with a publishable API key. Please use a secret API key.', undefined, 'secret_key_required', 401);
    };
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/payment_intents') {
      onlySecret();
      return { status: 200, body: ledger.createPaymentIntent(params, ctx) };
    }
    if ((m = /^\/v1\/payment_intents\/([\w]+)$/.exec(path)) && method === 'GET') {
      requireClientSecret(caller, m[1]!, params);
      return { status: 200, body: ledger.paymentIntent(m[1]!) };
    }
    if ((m = /^\/v1\/payment_intents\/([\w]+)\/(confirm|cancel|capture)$/.exec(path)) && method === 'POST') {
      const [, id, action] = m;
      if (action === 'confirm') {
        requireClientSecret(caller, id!, params);
        return { status: 200, body: ledger.confirm(id!, params, ctx) };
      }
      onlySecret();
      return { status: 200, body: action === 'cancel' ? ledger.cancel(id!, params, ctx) : ledger.capture(id!, params, ctx) };
    }
    onlySecret();
    if (method === 'POST' && path === '/v1/refunds') return { status: 200, body: ledger.createRefund(params, ctx) };
    if (method === 'GET' && path === '/v1/refunds') return { status: 200, body: ledger.listRefunds(params) };
    if ((m = /^\/v1\/refunds\/([\w]+)$/.exec(path)) && method === 'GET') return { status: 200, body: ledger.refund(m[1]!) };
    if ((m = /^\/v1\/charges\/([\w]+)$/.exec(path)) && method === 'GET') return { status: 200, body: ledger.retrieveCharge(m[1]!) };
    throw invalidRequest(`Unrecognized request URL (${method}: ${path}).`, undefined, undefined, 404);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = stripeId('req', 14);
    const method = req.method ?? 'GET';
    const raw = method === 'GET' ? url.search.slice(1) : await readBody(req);
    const params = parseForm(raw);
    const idempotencyKey = method === 'POST' ? (req.headers['idempotency-key'] as string | undefined) ?? null : null;
    const headers: Record<string, string> = { 'Request-Id': requestId, ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}) };
    try {
      const caller = authenticate(req, params);
      const fault = faults.find((f) => f.remaining > 0 && url.pathname.startsWith(f.pathPrefix) && (!f.bodyIncludes || raw.includes(f.bodyIncludes)));
      if (fault) {
        fault.remaining--;
        throw new StripeApiError(fault.status, { type: 'api_error', message: 'An unknown error occurred (injected by the fake).' });
      }
      const account = caller.kind === 'secret' ? options.secretKey : 'publishable';
      const endpoint = `${method} ${url.pathname}`;
      const { client_secret: _cs, key: _key, ...comparable } = params;
      const canonical = canonicalParams(comparable);
      if (idempotencyKey) {
        const hit = idempotency.lookup(account, idempotencyKey, endpoint, canonical);
        if (hit.kind === 'replay') return send(res, hit.status, hit.body, { ...headers, 'Idempotent-Replayed': 'true' });
      }
      let status: number;
      let body: string;
      try {
        const result = route(method, url.pathname, params, caller, { requestId, idempotencyKey });
        status = result.status;
        body = JSON.stringify(result.body, null, 2);
      } catch (error) {
        if (!(error instanceof StripeApiError)) throw error;
        status = error.status;
        body = error.body(requestId);
      }
      if (idempotencyKey) idempotency.save(account, idempotencyKey, { endpoint, params: canonical, status, body });
      send(res, status, body, headers);
    } catch (error) {
      if (error instanceof StripeApiError) return send(res, error.status, error.body(requestId), headers);
      send(res, 500, JSON.stringify({ error: { type: 'api_error', message: String(error) } }), headers);
    }
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (bearer(req) !== options.secretKey) return send(res, 401, JSON.stringify({ error: { type: 'invalid_request_error', message: 'control API: secret key required' } }));
    const raw = req.method === 'POST' ? await readBody(req) : '';
    const input = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const path = url.pathname;
    if (req.method === 'GET' && path === '/_fake/events') {
      const type = url.searchParams.get('type');
      const objectId = url.searchParams.get('object');
      const events = ledger.events.filter((e) => {
        const o = e.data.object as { id?: string; payment_intent?: string };
        return (!type || e.type === type) && (!objectId || o.id === objectId || o.payment_intent === objectId);
      });
      const data = events.map((e) => ({ id: e.id, type: e.type, ...signedPayload(e, options.webhookSecret) }));
      return send(res, 200, JSON.stringify({ data }));
    }
    if (req.method === 'GET' && path === '/_fake/deliveries') return send(res, 200, JSON.stringify({ data: webhooks.attempts }));
    if (req.method === 'POST' && path === '/_fake/faults') {
      faults.push({
        remaining: Number(input.count ?? 1),
        status: Number(input.status ?? 500),
        pathPrefix: String(input.path ?? '/v1/'),
        bodyIncludes: typeof input.bodyIncludes === 'string' ? input.bodyIncludes : undefined,
      });
      return send(res, 200, JSON.stringify({ ok: true }));
    }
    if (req.method === 'POST' && path === '/_fake/webhook-chaos') {
      webhooks.setChaos(input.off === true ? null : (input as Partial<WebhookChaos>));
      return send(res, 200, JSON.stringify({ ok: true, counts: webhooks.chaosCounts }));
    }
    if (req.method === 'POST' && path === '/_fake/faults/clear') {
      faults.length = 0;
      return send(res, 200, JSON.stringify({ ok: true }));
    }
    const auth = /^\/_fake\/payment_intents\/(\w+)\/authenticate$/.exec(path);
    if (req.method === 'POST' && auth) {
      try {
        const pi = ledger.authenticate(auth[1]!, input.success !== false, { requestId: stripeId('req', 14), idempotencyKey: null });
        return send(res, 200, JSON.stringify(pi));
      } catch (error) {
        if (error instanceof StripeApiError) return send(res, error.status, error.body('fake'));
        throw error;
      }
    }
    send(res, 404, JSON.stringify({ error: { type: 'invalid_request_error', message: `unknown control route ${req.method} ${path}` } }));
  }

  /** `GET /`: what the fake holds, for a human running `npm start` (no secrets, no client secrets). */
  function summary() {
    return {
      fake: 'Stripe-compatible test double (fakes/stripe)',
      webhookUrl: webhooks.url ?? null,
      paymentIntents: [...ledger.paymentIntents.values()].slice(-50).map((pi) => ({ id: pi.id, amount: pi.amount, currency: pi.currency, status: pi.status, orderId: pi.metadata.order_id ?? null, created: pi.created })),
      refunds: [...ledger.refunds.values()].slice(-50).map((r) => ({ id: r.id, amount: r.amount, paymentIntent: r.payment_intent, status: r.status })),
      webhookDeliveries: webhooks.attempts.slice(-50),
    };
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stripe.fake');
    const handle = async () => {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS_HEADERS);
        return res.end();
      }
      if (url.pathname === '/_fake/health') return send(res, 200, JSON.stringify({ ok: true }));
      if (url.pathname === '/' && req.method === 'GET') return send(res, 200, JSON.stringify(summary(), null, 2));
      if (url.pathname.startsWith('/_fake/')) return handleControl(req, res, url);
      return handleApi(req, res, url);
    };
    handle().catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: { type: 'api_error', message: String(error) } }));
      else res.end();
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  }).catch((error: unknown) => {
    // Port taken: this instance never serves, so it must not deliver the restored events either.
    webhooks.stop();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    ledger,
    webhooks,
    setWebhookUrl: (url) => webhooks.setUrl(url),
    stop: async () => {
      // Before the sender forgets its queue: undelivered events are part of the state.
      state?.close();
      webhooks.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
