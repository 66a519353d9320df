/**
 * Stripe's idempotency semantics (https://docs.stripe.com/api/idempotent_requests):
 * keys are per account (secret key) and kept 24 h; a retry with the same key
 * and the same parameters gets the saved response again (status and body,
 * with `Idempotent-Replayed: true`); the same key with other parameters or on
 * another endpoint is a 400 `idempotency_error`. Only results of requests that
 * started executing are saved: a 400 for invalid parameters or a 5xx is not,
 * so a retry runs again.
 */
import { StripeApiError } from './objects';

interface Saved {
  endpoint: string;
  params: string;
  status: number;
  body: string;
  savedAt: number;
}

const TTL_MS = 24 * 60 * 60 * 1000;

export type SavedResponse = Saved;

export type Lookup = { kind: 'miss' } | { kind: 'replay'; status: number; body: string };

export class IdempotencyStore {
  private readonly saved = new Map<string, Saved>();

  private id(account: string, key: string): string {
    return `${account}\u0000${key}`;
  }

  lookup(account: string, key: string, endpoint: string, params: string, now = Date.now()): Lookup {
    const hit = this.saved.get(this.id(account, key));
    if (!hit || now - hit.savedAt > TTL_MS) return { kind: 'miss' };
    if (hit.endpoint !== endpoint) {
      throw new StripeApiError(400, {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${hit.endpoint}' vs '${endpoint}'). Try using a key other than '${key}' if you meant to execute a different request.`,
      });
    }
    if (hit.params !== params) {
      throw new StripeApiError(400, {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      });
    }
    return { kind: 'replay', status: hit.status, body: hit.body };
  }

  /** The responses still within their 24 h, keyed as stored (persistence across restarts of `npm start`). */
  entries(now = Date.now()): [string, Saved][] {
    return [...this.saved.entries()].filter(([, s]) => now - s.savedAt <= TTL_MS);
  }

  restore(entries: [string, Saved][]): void {
    for (const [id, s] of entries) this.saved.set(id, s);
  }

  /** Saves a result when Stripe would: success, or a failure after execution began (card errors). */
  save(account: string, key: string, entry: Omit<Saved, 'savedAt'>, now = Date.now()): void {
    const executed = entry.status < 400 || entry.status === 402;
    if (executed) this.saved.set(this.id(account, key), { ...entry, savedAt: now });
  }
}
