/**
 * A Twilio Programmable Messaging fake: `POST /2010-04-01/Accounts/{sid}/Messages.json`
 * as the twilio SDK sends it (form-encoded, HTTP Basic with the account SID
 * and auth token), answering in Twilio's format: 201 with a Message resource,
 * or `{ code, message, more_info, status }` errors (20003 bad credentials,
 * 21211 invalid To, 21602 no Body, 21603 no From).
 *
 * Status callbacks are signed the way Twilio documents it
 * (https://www.twilio.com/docs/usage/security#validating-requests):
 * base64(HMAC-SHA1(authToken, url + the POST fields sorted by name, each as
 * name + value)). Implemented here independently of the SDK, so the Worker's
 * `validateRequest` is checked against the documented algorithm.
 *
 * Control: GET /_fake/messages?to=…, GET /_fake/status-callback/{sid}?status=delivered[&errorCode=30003]
 * (the signed callback Twilio would send: url, params, signature).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { startFake, type FakeAnswer, type RunningFake } from '../shared/server';
import { newest } from '../shared/state-file';

export interface TwilioFakeOptions {
  accountSid: string;
  authToken: string;
  port?: number;
  /** Post `sent` then `delivered` to each message's StatusCallback (for `npm start`). */
  autoCallback?: boolean;
  /** Keeps the messages across restarts (npm start); omitted = memory only. */
  stateFile?: string;
}

export interface TwilioMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  statusCallback: string | null;
  dateCreated: string;
}

export interface TwilioFake extends RunningFake {
  messages: TwilioMessage[];
}

const E164 = /^\+[1-9]\d{7,14}$/;

export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}

export function signedStatusCallback(options: TwilioFakeOptions, message: TwilioMessage, status: string, errorCode?: string) {
  const params: Record<string, string> = { AccountSid: options.accountSid, ApiVersion: '2010-04-01', From: message.from, MessageSid: message.sid, MessageStatus: status, SmsSid: message.sid, SmsStatus: status, To: message.to };
  // Twilio adds the error code to `undelivered` and `failed` (e.g. 30003, unreachable handset).
  if (errorCode) params.ErrorCode = errorCode;
  const url = message.statusCallback ?? '';
  return { url, params, signature: twilioSignature(options.authToken, url, params) };
}

const error = (status: number, code: number, message: string): FakeAnswer => ({
  status,
  body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
});

export async function startTwilioFake(options: TwilioFakeOptions): Promise<TwilioFake> {
  const messages: TwilioMessage[] = [];
  const fake = await startFake({
    name: 'twilio',
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.stateFile
      ? { memory: { file: options.stateFile, save: () => ({ messages: newest(messages, 1_000) }), load: (saved: { messages: TwilioMessage[] }) => void messages.push(...saved.messages) } }
      : {}),
    handle: ({ method, url, body, headers }) => {
      const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname);
      if (!m || method !== 'POST') return error(404, 20404, 'The requested resource was not found');
      const basic = /^Basic (.+)$/.exec(headers.authorization ?? '');
      const [user, pass] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':') : [];
      if (user !== options.accountSid || pass !== options.authToken || m[1] !== options.accountSid) return error(401, 20003, 'Authenticate');
      if (!(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return error(400, 20001, 'Expected a form-encoded body');
      const form = new URLSearchParams(body);
      const to = form.get('To') ?? '';
      const from = form.get('From') ?? '';
      const text = form.get('Body') ?? '';
      if (!from) return error(400, 21603, "A 'From' phone number is required.");
      if (!E164.test(to)) return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      if (!text.trim()) return error(400, 21602, 'Message body is required.');
      if (text.length > 1600) return error(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
      const message: TwilioMessage = {
        sid: `SM${randomBytes(16).toString('hex')}`,
        to,
        from,
        body: text,
        statusCallback: form.get('StatusCallback'),
        dateCreated: new Date().toUTCString(),
      };
      messages.push(message);
      if (options.autoCallback && message.statusCallback) {
        for (const [delay, status] of [[300, 'sent'], [800, 'delivered']] as const) {
          setTimeout(() => {
            const cb = signedStatusCallback(options, message, status);
            void fetch(cb.url, {
              method: 'POST',
              headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': cb.signature },
              body: new URLSearchParams(cb.params).toString(),
            }).catch(() => undefined);
          }, delay);
        }
      }
      return {
        status: 201,
        body: {
          sid: message.sid,
          account_sid: options.accountSid,
          api_version: '2010-04-01',
          to,
          from,
          body: text,
          status: 'queued',
          direction: 'outbound-api',
          num_segments: String(Math.ceil(text.length / 153) || 1),
          num_media: '0',
          date_created: message.dateCreated,
          date_updated: message.dateCreated,
          date_sent: null,
          price: null,
          price_unit: 'USD',
          error_code: null,
          error_message: null,
          messaging_service_sid: null,
          uri: `/2010-04-01/Accounts/${options.accountSid}/Messages/${message.sid}.json`,
          subresource_uris: { media: `/2010-04-01/Accounts/${options.accountSid}/Messages/${message.sid}/Media.json` },
        },
      };
    },
    control: ({ url }) => {
      if (url.pathname === '/_fake/messages') {
        const to = url.searchParams.get('to');
        return { status: 200, body: { items: messages.filter((m) => !to || m.to === to) } };
      }
      const cb = /^\/_fake\/status-callback\/([^/]+)$/.exec(url.pathname);
      if (cb) {
        const message = messages.find((m) => m.sid === cb[1]);
        if (!message) return { status: 404, body: { error: 'no such message' } };
        return { status: 200, body: signedStatusCallback(options, message, url.searchParams.get('status') ?? 'delivered', url.searchParams.get('errorCode') ?? undefined) };
      }
      return undefined;
    },
  });
  return { ...fake, messages };
}
