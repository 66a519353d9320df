/**
 * An FCM HTTP v1 fake with Google's OAuth token endpoint:
 *
 * - `POST /token` (FCM_TOKEN_URL): the JWT-bearer grant. The assertion must be
 *   an RS256 JWT signed by the service account's private key (checked with
 *   its public key), `iss` = the client email, `aud` = this token URL, the
 *   firebase.messaging scope, at most an hour of validity. Answers
 *   `{ access_token, expires_in, token_type }` or `{ error: 'invalid_grant' }`.
 * - `POST /v1/projects/{project}/messages:send` (FCM_API_BASE): a Bearer token
 *   it issued and that has not expired; `message.token`, a notification with
 *   string title/body, string-only `data`. Tokens starting `unregistered-` (or
 *   marked through control) answer 404 NOT_FOUND with FcmError UNREGISTERED,
 *   as FCM does for an uninstalled app.
 *
 * Control: GET /_fake/messages?token=…, GET /_fake/stats (token exchanges),
 * POST /_fake/unregister { token }.
 */
import { randomBytes } from 'node:crypto';
import { importSPKI, jwtVerify } from 'jose';
import { startFake, type FakeAnswer, type RunningFake } from '../shared/server';
import { newest } from '../shared/state-file';

export interface FcmFakeOptions {
  projectId: string;
  clientEmail: string;
  publicKeyPem: string;
  port?: number;
  /** Lifetime of issued access tokens (default 3600 s). */
  tokenLifetimeSeconds?: number;
  /**
   * Keeps the messages, unregistered tokens and the access tokens it issued
   * across restarts (npm start: the Worker caches its token for an hour);
   * omitted = memory only.
   */
  stateFile?: string;
}

interface FcmMemory {
  messages: FcmMessage[];
  issued: [string, number][];
  unregistered: string[];
  tokenExchanges: number;
}

export interface FcmMessage {
  name: string;
  token: string;
  title: string;
  body: string;
  data: Record<string, string>;
  android?: unknown;
  at: string;
}

export interface FcmFake extends RunningFake {
  messages: FcmMessage[];
  tokenExchanges: number;
}

const googleError = (status: number, code: string, message: string, fcmCode?: string): FakeAnswer => ({
  status,
  body: {
    error: {
      code: status,
      message,
      status: code,
      ...(fcmCode ? { details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: fcmCode }] } : {}),
    },
  },
});

export async function startFcmFake(options: FcmFakeOptions): Promise<FcmFake> {
  const publicKey = await importSPKI(options.publicKeyPem, 'RS256');
  const issued = new Map<string, number>();
  const unregistered = new Set<string>();
  const messages: FcmMessage[] = [];
  const state = { tokenExchanges: 0 };
  let tokenUrl = '';

  const memory = {
    save: (): FcmMemory => ({
      messages: newest(messages, 1_000),
      issued: [...issued.entries()].filter(([, expiry]) => expiry > Date.now()),
      unregistered: [...unregistered],
      tokenExchanges: state.tokenExchanges,
    }),
    load: (saved: FcmMemory) => {
      messages.push(...saved.messages);
      for (const [token, expiry] of saved.issued) issued.set(token, expiry);
      for (const token of saved.unregistered) unregistered.add(token);
      state.tokenExchanges = saved.tokenExchanges;
    },
  };
  const fake = await startFake({
    name: 'fcm',
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.stateFile ? { memory: { file: options.stateFile, ...memory } } : {}),
    handle: async ({ method, url, body, headers }) => {
      if (url.pathname === '/token' && method === 'POST') {
        state.tokenExchanges++;
        const form = new URLSearchParams(body);
        if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
          return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' } };
        }
        try {
          const { payload } = await jwtVerify(form.get('assertion') ?? '', publicKey, {
            algorithms: ['RS256'],
            issuer: options.clientEmail,
            audience: tokenUrl,
          });
          if (typeof payload.scope !== 'string' || !payload.scope.split(' ').includes('https://www.googleapis.com/auth/firebase.messaging')) {
            return { status: 400, body: { error: 'invalid_scope', error_description: 'Missing the firebase.messaging scope' } };
          }
          if (typeof payload.iat !== 'number' || typeof payload.exp !== 'number' || payload.exp - payload.iat > 3600) {
            return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes)' } };
          }
        } catch (e) {
          return { status: 400, body: { error: 'invalid_grant', error_description: `Invalid JWT Signature. (${(e as Error).message})` } };
        }
        const token = `ya29.fake-${randomBytes(24).toString('base64url')}`;
        const lifetime = options.tokenLifetimeSeconds ?? 3600;
        issued.set(token, Date.now() + lifetime * 1000);
        return { status: 200, body: { access_token: token, expires_in: lifetime, token_type: 'Bearer' } };
      }

      const send = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(url.pathname);
      if (!send || method !== 'POST') return googleError(404, 'NOT_FOUND', 'Not found');
      const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
      const expiry = bearer ? issued.get(bearer) : undefined;
      if (!expiry || expiry < Date.now()) {
        return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
      }
      if (send[1] !== options.projectId) return googleError(403, 'PERMISSION_DENIED', 'SenderId mismatch', 'SENDER_ID_MISMATCH');
      let parsed: { message?: { token?: unknown; notification?: { title?: unknown; body?: unknown }; data?: Record<string, unknown>; android?: unknown } };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        return googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
      }
      const m = parsed.message;
      if (!m || typeof m.token !== 'string' || m.token.length === 0) return googleError(400, 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token', 'INVALID_ARGUMENT');
      if (typeof m.notification?.title !== 'string' || typeof m.notification.body !== 'string') {
        return googleError(400, 'INVALID_ARGUMENT', 'Invalid value at message.notification', 'INVALID_ARGUMENT');
      }
      if (m.data && Object.values(m.data).some((v) => typeof v !== 'string')) {
        return googleError(400, 'INVALID_ARGUMENT', 'Invalid value at message.data: values must be strings', 'INVALID_ARGUMENT');
      }
      if (m.token.startsWith('unregistered-') || unregistered.has(m.token)) {
        return googleError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED');
      }
      const name = `projects/${options.projectId}/messages/0:${Date.now()}%${randomBytes(8).toString('hex')}`;
      messages.push({ name, token: m.token, title: m.notification.title, body: m.notification.body, data: (m.data ?? {}) as Record<string, string>, android: m.android, at: new Date().toISOString() });
      return { status: 200, body: { name } };
    },
    control: ({ url, method, body }) => {
      if (url.pathname === '/_fake/messages') {
        const token = url.searchParams.get('token');
        return { status: 200, body: { items: messages.filter((m) => !token || m.token === token) } };
      }
      if (url.pathname === '/_fake/stats') return { status: 200, body: { tokenExchanges: state.tokenExchanges } };
      if (url.pathname === '/_fake/unregister' && method === 'POST') {
        unregistered.add((JSON.parse(body) as { token: string }).token);
        return { status: 200, body: {} };
      }
      return undefined;
    },
  });
  tokenUrl = `${fake.url}/token`;
  return {
    ...fake,
    messages,
    get tokenExchanges() {
      return state.tokenExchanges;
    },
  };
}
