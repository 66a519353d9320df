/**
 * Push through FCM HTTP v1, with `jose` and fetch instead of firebase-admin
 * (docs/decisions/0043): firebase-admin hard-codes Google's token and FCM
 * hosts and leans on Node internals; this is two HTTP calls.
 *
 * 1. A service-account JWT (RS256, `iss`/`sub` = client_email, `aud` = the
 *    token URL, scope firebase.messaging), exchanged at FCM_TOKEN_URL for an
 *    OAuth access token, cached per isolate until a minute before it expires.
 * 2. POST {FCM_API_BASE}/v1/projects/{project}/messages:send with the token.
 *
 * A token FCM reports UNREGISTERED surfaces as a DeliveryError with that code,
 * so the caller removes the device.
 */
import { SignJWT, importPKCS8 } from 'jose';
import { DeliveryError, deliveryErrorFromStatus, fetchWithTimeout } from './errors';
import type { PushMessage, PushSender, SentMessage } from './types';

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface ServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
}

export interface FcmConfig {
  serviceAccount: ServiceAccount;
  apiBase: string;
  tokenUrl: string;
  timeoutMs?: number;
}

export function parseServiceAccount(raw: string): ServiceAccount | undefined {
  try {
    const parsed = JSON.parse(raw) as Partial<ServiceAccount>;
    if (typeof parsed.project_id === 'string' && typeof parsed.client_email === 'string' && typeof parsed.private_key === 'string') {
      return parsed as ServiceAccount;
    }
  } catch {
    // Not JSON: treated as not configured.
  }
  return undefined;
}

interface CachedToken {
  token: string;
  /** Epoch ms after which a new token is fetched. */
  refreshAt: number;
}

/** Per isolate: one access token per service account and token endpoint. */
const tokens = new Map<string, CachedToken>();
const keys = new Map<string, Promise<CryptoKey>>();

/** For tests: forget cached access tokens. */
export function clearFcmTokenCache(): void {
  tokens.clear();
}

async function signAssertion(config: FcmConfig, nowSeconds: number): Promise<string> {
  const sa = config.serviceAccount;
  let key = keys.get(sa.private_key);
  if (!key) {
    key = importPKCS8(sa.private_key, 'RS256');
    keys.set(sa.private_key, key);
  }
  return new SignJWT({ scope: SCOPE })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(sa.private_key_id ? { kid: sa.private_key_id } : {}) })
    .setIssuer(sa.client_email)
    .setSubject(sa.client_email)
    .setAudience(config.tokenUrl)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + 3600)
    .sign(await key);
}

export async function fcmAccessToken(config: FcmConfig, now = Date.now()): Promise<string> {
  const cacheKey = `${config.serviceAccount.client_email}|${config.tokenUrl}`;
  const cached = tokens.get(cacheKey);
  if (cached && cached.refreshAt > now) return cached.token;
  const assertion = await signAssertion(config, Math.floor(now / 1000));
  const res = await fetchWithTimeout(
    'fcm',
    config.tokenUrl,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString(),
    },
    config.timeoutMs ?? 10_000,
  );
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
  if (!res.ok || typeof body.access_token !== 'string') {
    throw deliveryErrorFromStatus('fcm', res.ok ? 502 : res.status, `token exchange failed: ${body.error ?? ''} ${body.error_description ?? ''}`.trim(), body.error);
  }
  const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
  tokens.set(cacheKey, { token: body.access_token, refreshAt: now + Math.max(0, lifetimeMs - 60_000) });
  return body.access_token;
}

interface FcmErrorBody {
  error?: { code?: number; message?: string; status?: string; details?: { '@type'?: string; errorCode?: string }[] };
}

function fcmErrorCode(body: FcmErrorBody): string | undefined {
  return body.error?.details?.find((d) => typeof d.errorCode === 'string')?.errorCode ?? body.error?.status;
}

export function fcmMessageBody(message: PushMessage): Record<string, unknown> {
  return {
    message: {
      token: message.token,
      notification: { title: message.title, body: message.body },
      ...(message.data ? { data: message.data } : {}),
      android: {
        priority: 'high',
        ...(message.ttlSeconds !== undefined ? { ttl: `${Math.max(0, Math.floor(message.ttlSeconds))}s` } : {}),
        ...(message.collapseKey ? { collapse_key: message.collapseKey } : {}),
      },
      apns: {
        headers: {
          'apns-priority': '10',
          ...(message.collapseKey ? { 'apns-collapse-id': message.collapseKey } : {}),
        },
      },
    },
  };
}

export function createFcmSender(config: FcmConfig): PushSender {
  const url = `${config.apiBase.replace(/\/+$/, '')}/v1/projects/${encodeURIComponent(config.serviceAccount.project_id)}/messages:send`;
  const attempt = async (message: PushMessage, token: string) =>
    fetchWithTimeout(
      'fcm',
      url,
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(fcmMessageBody(message)),
      },
      config.timeoutMs ?? 10_000,
    );
  return {
    provider: 'fcm',
    async send(message: PushMessage): Promise<SentMessage> {
      let res = await attempt(message, await fcmAccessToken(config));
      if (res.status === 401) {
        // The cached token was revoked or expired early: one fresh exchange, one more try.
        clearFcmTokenCache();
        res = await attempt(message, await fcmAccessToken(config));
      }
      const body = (await res.json().catch(() => ({}))) as FcmErrorBody & { name?: string };
      if (res.ok && typeof body.name === 'string') return { id: body.name };
      const code = fcmErrorCode(body);
      if (code === 'UNREGISTERED') throw new DeliveryError('fcm', 'fcm: the device token is no longer registered', true, res.status, 'UNREGISTERED');
      throw deliveryErrorFromStatus('fcm', res.ok ? 502 : res.status, body.error?.message ?? 'unexpected answer', code);
    },
  };
}
