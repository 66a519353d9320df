/**
 * Idempotency-Key for simple creating POSTs (one transaction, nothing called
 * outside the database): the write and the stored answer commit together, so
 * a retry either replays the answer or runs again from scratch: never a
 * duplicate. A secret shown once is left out of what is stored (`replayBody`). POST /v1/orders, which also calls Stripe, drives the
 * idempotency service itself (routes/orders.ts).
 */
import type { Context } from 'hono';
import type { Database } from '../../db/client';
import type { AppEnv } from '../env';
import type { Principal } from '../services/auth/principal';
import { claimKey, completeKey, idempotencyScope, releaseKey, replayResponse, requestHash, type IdempotencyRef } from '../services/idempotency';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface CreatedAnswer {
  status: number;
  body: unknown;
  /**
   * What a replay answers instead of `body`, when the first answer holds a
   * secret shown once (a webhook's signing secret): the stored record never
   * holds it (ADR 0083).
   */
  replayBody?: unknown;
  headers?: Record<string, string>;
}

function toResponse(answer: CreatedAnswer): { response: Response; stored: { status: number; body: string; headers: Record<string, string> } } {
  const body = JSON.stringify(answer.body);
  const headers = { 'Content-Type': 'application/json', ...answer.headers };
  const stored = answer.replayBody === undefined ? body : JSON.stringify(answer.replayBody);
  return { response: new Response(body, { status: answer.status, headers }), stored: { status: answer.status, body: stored, headers } };
}

/**
 * The key's part both helpers share: claim it for this request (a replay
 * answers the stored bytes, another body is a 409), run `work`, which stores
 * the answer under the key, and give the claim back if the work fails.
 */
async function underKey(c: Context<AppEnv>, principal: Principal, key: string, requestBody: unknown, work: (ref: IdempotencyRef) => Promise<Response>): Promise<Response> {
  const db = c.var.db();
  const ref: IdempotencyRef = { scope: idempotencyScope(principal), key };
  const claim = await claimKey(db, ref, await requestHash(c.req.method, c.req.path, requestBody));
  if (claim.kind === 'replay') return replayResponse(claim);
  try {
    return await work(ref);
  } catch (error) {
    await releaseKey(db, ref);
    throw error;
  }
}

export async function withIdempotency(
  c: Context<AppEnv>,
  principal: Principal,
  key: string | undefined,
  requestBody: unknown,
  run: (tx: Tx) => Promise<CreatedAnswer>,
): Promise<Response> {
  const db = c.var.db();
  if (!key) return toResponse(await db.transaction(run)).response;
  return underKey(c, principal, key, requestBody, (ref) =>
    db.transaction(async (tx) => {
      const { response, stored } = toResponse(await run(tx));
      await completeKey(tx, ref, stored);
      return response;
    }),
  );
}

/**
 * Idempotency-Key for a creating POST whose work calls outside the database
 * (POST …/deliveries/{id}/replay sends an HTTP request): the work runs after
 * the claim and outside any transaction (no connection held across the call),
 * then its answer is stored. If the Worker dies between the work and the
 * store, a retry runs the work again once the lock times out; use it only
 * where that is harmless (a replayed webhook carries the same Webhook-Id, so
 * a receiver that deduplicates sees it once).
 */
export async function withIdempotentCall(c: Context<AppEnv>, principal: Principal, key: string | undefined, requestBody: unknown, run: () => Promise<CreatedAnswer>): Promise<Response> {
  if (!key) return toResponse(await run()).response;
  return underKey(c, principal, key, requestBody, async (ref) => {
    const { response, stored } = toResponse(await run());
    await completeKey(c.var.db(), ref, stored);
    return response;
  });
}
