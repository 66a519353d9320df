/**
 * Sliding-window-log rate limiting, as plain logic over a narrow store so it
 * runs (and is unit tested) without workerd. One RateLimiter object holds the
 * buckets of one subject (an IP, an account); each bucket is a list of hit
 * times. A request is allowed while fewer than `limit` hits fall inside the
 * last `windowSeconds`; when it is refused, Retry-After is the moment the
 * oldest hit that still counts leaves the window. A rule may also ask for
 * growing delays between hits (`delay`): refused until the newest hit is old
 * enough, Retry-After being the time left.
 */

export interface WindowRule {
  limit: number;
  windowSeconds: number;
  /**
   * Growing delays (ADR 0088): once `after` hits fall in the window, the next
   * `consume`/`check` must wait `baseSeconds · 2^(hits − after)` seconds (at
   * most `maxSeconds`) after the newest hit. Slows guessing to a crawl without
   * ever locking anyone out for long.
   */
  delay?: { after: number; baseSeconds: number; maxSeconds: number };
}

/** Seconds a bucket with `hits` in its window must wait after its newest hit (0: none). */
export function delaySeconds(rule: WindowRule, hits: number): number {
  const d = rule.delay;
  if (!d || hits < d.after) return 0;
  return Math.min(d.maxSeconds, d.baseSeconds * 2 ** (hits - d.after));
}

/**
 * - `consume`: refused when the bucket is full; otherwise counts one hit.
 * - `check`: refused when the bucket is full; counts nothing.
 * - `record`: counts one hit whatever the count (an event that already happened).
 * - `refund`: takes back the newest hit (a consumed attempt that turned out fine).
 */
export type LimitOpKind = 'consume' | 'check' | 'record' | 'refund';

export interface LimitOp {
  bucket: string;
  rule: WindowRule;
  op: LimitOpKind;
}

export interface LimitDecision {
  bucket: string;
  allowed: boolean;
  /** Hits in the window before and after this call (both capped at the limit). */
  before: number;
  count: number;
  limit: number;
  /** Seconds until a refused call could succeed; 0 when allowed. */
  retryAfterSeconds: number;
}

/** What the logic needs from storage. Times are epoch milliseconds, ascending. */
export interface HitStore {
  /** Hits of `bucket` strictly after `since`, oldest first. */
  hitsSince(bucket: string, since: number): number[];
  add(bucket: string, at: number, windowMs: number): void;
  removeNewest(bucket: string): void;
  /** Keeps only the newest `keep` hits of a bucket: older ones can never change a decision. */
  trim(bucket: string, keep: number): void;
}

const windowMs = (rule: WindowRule) => rule.windowSeconds * 1000;

function retryAfterSeconds(hits: number[], rule: WindowRule, now: number): number {
  // The call succeeds once the count drops below the limit, i.e. when the hit
  // at index (count - limit) leaves the window.
  const blocking = hits[hits.length - rule.limit];
  if (blocking === undefined) return 0;
  return Math.max(1, Math.ceil((blocking + windowMs(rule) - now) / 1000));
}

/** Milliseconds still to wait because of the rule's growing delay (0 when none applies). */
function delayLeftMs(hits: number[], rule: WindowRule, now: number): number {
  const wait = delaySeconds(rule, hits.length);
  const newest = hits[hits.length - 1];
  if (wait === 0 || newest === undefined) return 0;
  return Math.max(0, newest + wait * 1000 - now);
}

function refusal(hits: number[], rule: WindowRule, now: number): number {
  const full = hits.length >= rule.limit ? retryAfterSeconds(hits, rule, now) : 0;
  const delayed = delayLeftMs(hits, rule, now);
  return Math.max(full, delayed > 0 ? Math.max(1, Math.ceil(delayed / 1000)) : 0);
}

/**
 * Applies a batch atomically (the Durable Object is single-threaded and this
 * function never awaits): when any `consume` or `check` is refused, nothing in
 * the batch is counted.
 */
export function applyOps(store: HitStore, ops: readonly LimitOp[], now: number): LimitDecision[] {
  const current = ops.map((op) => store.hitsSince(op.bucket, now - windowMs(op.rule)));
  const waits = ops.map((op, i) => (op.op === 'consume' || op.op === 'check' ? refusal(current[i]!, op.rule, now) : 0));
  const refused = waits.map((w) => w > 0);
  const anyRefused = refused.some(Boolean);

  return ops.map((op, i) => {
    const hits = current[i]!;
    if (anyRefused) {
      return {
        bucket: op.bucket,
        allowed: !refused[i],
        before: Math.min(hits.length, op.rule.limit),
        count: Math.min(hits.length, op.rule.limit),
        limit: op.rule.limit,
        retryAfterSeconds: waits[i]!,
      };
    }
    let count = hits.length;
    if (op.op === 'consume' || op.op === 'record') {
      store.add(op.bucket, now, windowMs(op.rule));
      store.trim(op.bucket, op.rule.limit);
      count += 1;
    } else if (op.op === 'refund' && count > 0) {
      store.removeNewest(op.bucket);
      count -= 1;
    }
    return {
      bucket: op.bucket,
      allowed: true,
      before: Math.min(hits.length, op.rule.limit),
      count: Math.min(count, op.rule.limit),
      limit: op.rule.limit,
      retryAfterSeconds: 0,
    };
  });
}
