/**
 * SMS through the `twilio` SDK. The SDK is about 8 MB unminified, so it is
 * loaded with a dynamic `import()` on the first send: only the queue
 * consumer ever gets here, and an isolate that only answers API requests
 * never evaluates it (docs/decisions/0042; cold start measured in
 * bench/notifications.ts).
 *
 * The SDK's default HTTP client is axios on Node's http module; it gets a
 * fetch-based `httpClient` instead, which also re-targets every call at
 * TWILIO_API_BASE (the local fake in tests and `npm start`).
 */
import type twilioFactory from 'twilio';
import type { Twilio } from 'twilio';
import { DeliveryError, deliveryErrorFromStatus, fetchWithTimeout } from './errors';
import type { SentMessage, SmsMessage, SmsSender } from './types';

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  /** e.g. https://api.twilio.com, or the fake's http://127.0.0.1:port */
  apiBase: string;
  from: string;
  timeoutMs?: number;
}

type FormValue = string | number | boolean | undefined | null | Array<string | number | boolean>;

interface TwilioRequest {
  method: string;
  uri: string;
  username?: string;
  password?: string;
  authStrategy?: { getAuthString(): Promise<string> };
  headers?: Record<string, string>;
  params?: Record<string, FormValue>;
  data?: Record<string, FormValue>;
  timeout?: number;
}

function appendAll(target: URLSearchParams, values: Record<string, FormValue> | undefined): void {
  for (const [key, value] of Object.entries(values ?? {})) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) target.append(key, String(v));
  }
}

/** The SDK's `httpClient` contract (`request(opts) → { statusCode, body, headers }`) over fetch. */
export class FetchTwilioHttpClient {
  constructor(
    private readonly apiBase: string,
    private readonly timeoutMs: number,
  ) {}

  async request(opts: TwilioRequest): Promise<{ statusCode: number; body: string; headers: Record<string, string> }> {
    const original = new URL(opts.uri);
    const url = new URL(`${this.apiBase.replace(/\/+$/, '')}${original.pathname}${original.search}`);
    appendAll(url.searchParams, opts.params);
    const headers = new Headers();
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (k.toLowerCase() !== 'connection') headers.set(k, v);
    if (opts.username && opts.password) headers.set('Authorization', `Basic ${btoa(`${opts.username}:${opts.password}`)}`);
    else if (opts.authStrategy) headers.set('Authorization', await opts.authStrategy.getAuthString());
    let body: string | undefined;
    if (opts.data && /^(post|put)$/i.test(opts.method)) {
      if (headers.get('content-type') === 'application/json') body = JSON.stringify(opts.data);
      else {
        const form = new URLSearchParams();
        appendAll(form, opts.data);
        body = form.toString();
      }
    }
    const res = await fetchWithTimeout('twilio', url.toString(), { method: opts.method.toUpperCase(), headers, body }, opts.timeout ?? this.timeoutMs);
    return { statusCode: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) };
  }
}

/** `export =` module: the namespace object is the factory function itself. */
type TwilioFactory = typeof twilioFactory;

let sdk: Promise<TwilioFactory> | undefined;
/** Loads the SDK once per isolate (CommonJS: the factory is the default export). */
export function loadTwilio(): Promise<TwilioFactory> {
  return (sdk ??= import('twilio').then((m) => (m as { default?: TwilioFactory }).default ?? (m as unknown as TwilioFactory)));
}

export async function createTwilioSender(config: TwilioConfig): Promise<SmsSender> {
  const twilio = await loadTwilio();
  const client: Twilio = twilio(config.accountSid, config.authToken, {
    httpClient: new FetchTwilioHttpClient(config.apiBase, config.timeoutMs ?? 10_000) as unknown as NonNullable<Parameters<TwilioFactory>[2]>['httpClient'],
    autoRetry: false,
  });
  return {
    provider: 'twilio',
    async send(message: SmsMessage): Promise<SentMessage> {
      try {
        const created = await client.messages.create({
          to: message.to,
          from: config.from,
          body: message.body,
          ...(message.statusCallback ? { statusCallback: message.statusCallback } : {}),
        });
        return { id: created.sid };
      } catch (error) {
        if (error instanceof DeliveryError) throw error;
        const e = error as { status?: number; code?: number | string; message?: string };
        if (typeof e.status === 'number') throw deliveryErrorFromStatus('twilio', e.status, e.message ?? 'error', e.code === undefined ? undefined : String(e.code));
        throw new DeliveryError('twilio', `twilio: ${e.message ?? String(error)}`, false);
      }
    },
  };
}
