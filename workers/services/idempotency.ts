/**
 * Idempotency-Key for POSTs that create things (docs/decisions/0023-idempotency.md).
 *
 * - Keyed per caller: a user's keys and a merchant's keys never collide.
 * - The same key and the same request (method, path, canonical JSON body)
 *   returns the first answer byte for byte, with `Idempotent-Replayed: true`.
 * - The same key with another request is a 409.
 * - Only a success is stored. A refused request (4xx) deletes its claim, so
 *   bad input leaves no row behind and the client may fix it and retry.
 * - A failure after something was created (the payment provider was down)
 *   keeps the claim with `resource_id`, so a retry with the same key resumes
 *   that object instead of creating another.
 * - A claim is locked while its request runs; a concurrent retry gets a 409
 *   "in progress". A lock older than LOCK_TIMEOUT is a dead attempt, taken over.
 */
import { and, eq, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { idempotencyKeys } from '../../db/schema/index';
import { Problem, problems } from '../problem';
import type { Principal } from './auth/principal';
import { log } from '../../domain/log';
import { sha256Hex } from './digest';

export const KEY_TTL_MS = 24 * 60 * 60 * 1000;
export const LOCK_TIMEOUT_MS = 30_000;
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotencyRef {
  scope: string;
  key: string;
}

export type Claim =
  | { kind: 'new' }
  | { kind: 'resume'; resourceId: string | null }
  | { kind: 'replay'; status: number; body: string; headers: Record<string, string> };

/** Whose key space: a user's, or a merchant's (all its API keys share one). */
export function idempotencyScope(principal: Principal): string {
  return principal.type === 'api_key' ? `merchant:${principal.merchantId}` : `user:${principal.userId}`;
}

/** JSON with object keys sorted, so the same body sent with another key order compares equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export async function requestHash(method: string, path: string, body: unknown): Promise<string> {
  return sha256Hex(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`);
}

const whereKey = (ref: IdempotencyRef) => and(eq(idempotencyKeys.scope, ref.scope), eq(idempotencyKeys.key, ref.key));

const inProgress = () =>
  new Problem(409, 'idempotency-key-in-use', 'A request with this Idempotency-Key is still being processed; retry shortly.', {
    headers: { 'Retry-After': '1' },
  });

/** A new key's row, locked by the request that claims it. */
const claimInsert = (db: Database, ref: IdempotencyRef, hash: string, now: Date) =>
  db
    .insert(idempotencyKeys)
    .values({ scope: ref.scope, key: ref.key, requestHash: hash, lockedAt: now, createdAt: now, expiresAt: new Date(now.getTime() + KEY_TTL_MS) })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });

/** Claims the key for this request, or says what to do instead (replay, resume, 409). */
export async function claimKey(db: Database, ref: IdempotencyRef, hash: string, now = new Date()): Promise<Claim> {
  const expiresAt = new Date(now.getTime() + KEY_TTL_MS);
  const inserted = await claimInsert(db, ref, hash, now);
  if (inserted.length > 0) return { kind: 'new' };

  const [row] = await db.select().from(idempotencyKeys).where(whereKey(ref));
  if (!row) return claimKey(db, ref, hash, now); // deleted in between: claim again

  if (row.expiresAt.getTime() <= now.getTime()) {
    // An expired key is a new key: take it over (only one taker wins the conditional update).
    const taken = await db
      .update(idempotencyKeys)
      .set({ requestHash: hash, statusCode: null, responseBody: null, responseHeaders: null, resourceId: null, lockedAt: now, createdAt: now, expiresAt })
      .where(and(whereKey(ref), lt(idempotencyKeys.expiresAt, now)))
      .returning({ key: idempotencyKeys.key });
    if (taken.length > 0) return { kind: 'new' };
    throw inProgress();
  }
  if (row.requestHash !== hash) {
    throw problems.conflict('idempotency-key-reused', 'This Idempotency-Key was already used with a different request. Use a new key for a new request.');
  }
  if (row.statusCode !== null && row.responseBody !== null) {
    return { kind: 'replay', status: row.statusCode, body: row.responseBody, headers: row.responseHeaders ?? {} };
  }
  const staleBefore = new Date(now.getTime() - LOCK_TIMEOUT_MS);
  const resumed = await db
    .update(idempotencyKeys)
    .set({ lockedAt: now })
    .where(and(whereKey(ref), isNull(idempotencyKeys.statusCode), or(isNull(idempotencyKeys.lockedAt), lt(idempotencyKeys.lockedAt, staleBefore))))
    .returning({ resourceId: idempotencyKeys.resourceId });
  if (resumed.length === 0) throw inProgress();
  return { kind: 'resume', resourceId: resumed[0]!.resourceId };
}

/**
 * The common case of `claimKey` (a key never seen) as a CTE, for the first
 * statement of a request that also reads what it needs (one round trip
 * instead of two; ADR 0104). `taken` says, once that statement ran, whether
 * this request holds the key; when it does not, the caller answers through
 * `claimKey` (replay, resume, 409), having used nothing it read.
 */
export interface FoldedClaim {
  /** The request's hash (`requestHash`); the key is the caller's IdempotencyRef. */
  hash: string;
  /** Set true once the statement carrying the claim has run and the key is this request's. */
  taken: boolean;
}

/** The key is another request's, or was used before: `claimKey` decides what to answer. */
export class KeyNotClaimed extends Error {
  constructor() {
    super('the Idempotency-Key was not new: claim it the long way');
  }
}

export function claimCte(db: Database, ref: IdempotencyRef, claim: FoldedClaim, now = new Date()) {
  return db.$with('idempotency_claim', { key: sql<string>`key` }).as(claimInsert(db, ref, claim.hash, now).getSQL());
}

/** Records what this attempt created: run it in the same statement or transaction that creates it. */
export const attachResourceSql = (ref: IdempotencyRef, resourceId: string): SQL =>
  sql`update ${idempotencyKeys} set resource_id = ${resourceId} where ${idempotencyKeys.scope} = ${ref.scope} and ${idempotencyKeys.key} = ${ref.key}`;

/**
 * Stores the final answer, replayed byte for byte from now on. `alongside`
 * are writes that belong with it (e.g. the PaymentIntent id), sent in the
 * same statement so they commit together, in one round trip.
 */
export async function completeKey(
  db: Pick<Database, 'update' | 'execute'>,
  ref: IdempotencyRef,
  response: { status: number; body: string; headers: Record<string, string> },
  alongside: SQL[] = [],
): Promise<void> {
  const store = db
    .update(idempotencyKeys)
    .set({ statusCode: response.status, responseBody: response.body, responseHeaders: response.headers, lockedAt: null })
    .where(whereKey(ref));
  if (alongside.length === 0) {
    await store;
    return;
  }
  await db.execute(sql`with ${sql.join(alongside.map((w, i) => sql`${sql.raw(`a${i}`)} as (${w})`), sql`, `)} ${store.getSQL()}`);
}

/**
 * The request failed. Nothing created: forget the claim (no row remains).
 * Something created: unlock it so a retry resumes at once. Best effort: if
 * the database is gone, the lock simply times out.
 */
export async function releaseKey(db: Database, ref: IdempotencyRef): Promise<void> {
  try {
    await db.execute(sql`
      with gone as (
        delete from ${idempotencyKeys}
        where ${idempotencyKeys.scope} = ${ref.scope} and ${idempotencyKeys.key} = ${ref.key}
          and ${idempotencyKeys.statusCode} is null and ${idempotencyKeys.resourceId} is null
        returning 1
      )
      update ${idempotencyKeys} set locked_at = null
      where ${idempotencyKeys.scope} = ${ref.scope} and ${idempotencyKeys.key} = ${ref.key}
        and ${idempotencyKeys.statusCode} is null and ${idempotencyKeys.resourceId} is not null`);
  } catch (error) {
    log.warn('idempotency: release failed; the lock will time out', { scope: ref.scope, error });
  }
}

/** The stored answer as a Response, marked as a replay. */
export function replayResponse(claim: Extract<Claim, { kind: 'replay' }>, body = claim.body): Response {
  return new Response(body, { status: claim.status, headers: { ...claim.headers, 'Idempotent-Replayed': 'true' } });
}
