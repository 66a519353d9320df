/**
 * The HTTP side of rate limiting: where a caller's IP comes from, the
 * Durable-Object-backed `Limiter`, and the 429 answer. The policy (which
 * buckets, which limits) lives in services/auth/throttle.ts; the counting in
 * durable-objects/rate-limiter.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { problems } from '../problem';
import {
  LimiterUnavailableError,
  subjectName,
  type LimitDecision,
  type Limiter,
  type LimitOp,
  type WindowRule,
} from '../services/auth/throttle';
import { log } from '../../domain/log';

/**
 * The caller's IP. On Cloudflare, `CF-Connecting-IP` is set by the edge and a
 * client cannot forge it. Without it (local tools calling workerd directly)
 * every such caller shares the bucket "unknown", which fails safe: they are
 * limited together, never not at all.
 */
export function clientIp(c: Context<AppEnv>): string {
  const ip = c.req.header('cf-connecting-ip')?.trim();
  return ip && ip.length <= 64 ? ip : 'unknown';
}

/** A Limiter over the RATE_LIMITER namespace: one object per subject name. */
export function limiterFrom(env: Pick<Env, 'RATE_LIMITER'>): Limiter {
  return {
    async apply(subject: string, ops: LimitOp[]): Promise<LimitDecision[]> {
      try {
        const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(subject));
        return await stub.apply(ops);
      } catch (error) {
        // Fail closed: an attacker who could overload a limiter object must not
        // get unlimited guesses because of it. The caller answers 503.
        throw new LimiterUnavailableError(error);
      }
    },
  };
}

/** The Limiter for a request (tests may swap the namespace through the env). */
export const limiterOf = (c: Context<AppEnv>): Limiter => limiterFrom(c.env);

/** 429 with Retry-After, the only way a throttled request is answered. */
export function throttled(retryAfterSeconds: number): never {
  throw problems.rateLimited(retryAfterSeconds);
}

/** Turns a limiter outage into the 503 the API promises for a dependency that is down. */
export async function withLimiter<T>(work: () => Promise<T>, whatIsDown = 'Sign-in is briefly unavailable; try again shortly.'): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof LimiterUnavailableError) {
      log.warn('rate limiter unavailable', { error: error.cause });
      throw problems.unavailable(whatIsDown, 5);
    }
    throw error;
  }
}

/**
 * Route middleware: at most `rule.limit` requests per window per subject
 * (by default the caller's IP), else 429 with Retry-After. For limits whose
 * subject comes from the body (an account), call the Limiter in the handler.
 */
export const rateLimit = (options: { bucket: string; rule: WindowRule; subject?: (c: Context<AppEnv>) => string | Promise<string> }) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const subject = options.subject ? await options.subject(c) : await subjectName('ip', clientIp(c));
    const [decision] = await withLimiter(() => limiterOf(c).apply(subject, [{ bucket: options.bucket, rule: options.rule, op: 'consume' }]));
    if (!decision?.allowed) throttled(decision?.retryAfterSeconds ?? options.rule.windowSeconds);
    await next();
  });
