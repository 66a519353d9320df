import { log } from '../../domain/log';
import { METRICS } from '../../domain/metrics';
import { flushMetricsNow, metrics } from '../../durable-objects/metrics-aggregator/port';

/** Short names of our queues (the `queue` label and log field; docs/logging.md). */
export const QUEUE_NAMES: Readonly<Record<string, string>> = {
  'delivery-events': 'events',
  'delivery-dispatch': 'dispatch',
  'delivery-events-dlq': 'dlq',
};

/**
 * `max_retries` of each consumer in wrangler.toml: a retry of a message
 * delivered that many times more sends it to the dead-letter queue.
 */
const MAX_RETRIES: Readonly<Record<string, number>> = { events: 8, dispatch: 8, dlq: 10 };

interface Tally {
  ack: number;
  retry: number;
  dead: number;
}

/** The batch the consumer sees: the same messages, whose ack() and retry() are counted. */
function countedBatch<B>(batch: MessageBatch<B>, tally: Tally, maxRetries: number): { batch: MessageBatch<B>; settled: Set<string> } {
  const settled = new Set<string>();
  const messages = batch.messages.map((m): Message<B> => ({
    get id() { return m.id; },
    get timestamp() { return m.timestamp; },
    get body() { return m.body; },
    get attempts() { return m.attempts; },
    ack() {
      if (!settled.has(m.id)) tally.ack++;
      settled.add(m.id);
      m.ack();
    },
    retry(options?: QueueRetryOptions) {
      if (!settled.has(m.id)) {
        if (m.attempts > maxRetries) tally.dead++;
        else tally.retry++;
      }
      settled.add(m.id);
      m.retry(options);
    },
  }));
  const counted: MessageBatch<B> = {
    queue: batch.queue,
    get metadata() { return batch.metadata; },
    messages,
    ackAll: () => messages.forEach((m) => m.ack()),
    retryAll: (options?: QueueRetryOptions) => messages.forEach((m) => m.retry(options)),
  };
  return { batch: counted, settled };
}

/**
 * Runs a consumer over a batch and records it (ADR 0090): one count per
 * message by outcome (a message neither acked nor retried is acked when the
 * consumer returns and retried when it throws, as the runtime does), the
 * batch's duration, and one log line. The delta is flushed once the batch is
 * done, in waitUntil: the consumer never waits for it.
 */
export async function observeBatch<B>(
  batch: MessageBatch<B>,
  env: Pick<Env, 'METRICS_AGGREGATOR'>,
  ctx: Pick<ExecutionContext, 'waitUntil'> | undefined,
  consume: (batch: MessageBatch<B>) => Promise<void>,
): Promise<void> {
  const queue = QUEUE_NAMES[batch.queue] ?? 'other';
  const tally: Tally = { ack: 0, retry: 0, dead: 0 };
  const maxRetries = MAX_RETRIES[queue] ?? 3;
  const { batch: counted, settled } = countedBatch(batch, tally, maxRetries);
  const started = Date.now();
  let failed: unknown = null;
  try {
    await consume(counted);
  } catch (error) {
    failed = error;
  }
  for (const m of batch.messages) {
    if (settled.has(m.id)) continue;
    if (!failed) tally.ack++;
    else if (m.attempts > maxRetries) tally.dead++;
    else tally.retry++;
  }
  const durationMs = Date.now() - started;
  for (const outcome of ['ack', 'retry', 'dead'] as const) if (tally[outcome]) metrics.inc(METRICS.queueMessages, [queue, outcome], tally[outcome]);
  metrics.observe(METRICS.queueBatchDuration, [queue], durationMs / 1000);
  // Never rejects; without a context (a test calling the handler bare) it runs unawaited.
  const flushed = flushMetricsNow(env);
  ctx?.waitUntil(flushed);
  const fields = { queue, count: batch.messages.length, acked: tally.ack, retried: tally.retry, dead: tally.dead, durationMs, ...(failed ? { error: failed } : {}) };
  if (failed) log.error('queue batch failed', fields);
  else log.info('queue batch', fields);
  if (failed) throw failed;
}

/**
 * Runs one cron sweep and records it: a count by outcome, its duration, one
 * log line. Never throws (a failing sweep is tried again next minute).
 */
export async function observeCron(name: string, env: Pick<Env, 'METRICS_AGGREGATOR'>, run: () => Promise<unknown>): Promise<void> {
  const started = Date.now();
  let failed: unknown = null;
  try {
    await run();
  } catch (error) {
    failed = error;
  }
  const durationMs = Date.now() - started;
  const job = name.replace(/ /g, '_');
  const outcome = failed ? 'error' : 'ok';
  metrics.inc(METRICS.cronRuns, [job, outcome]);
  metrics.observe(METRICS.cronDuration, [job], durationMs / 1000);
  if (failed) log.error(`${name} failed; the next minute tries again`, { job, outcome, durationMs, error: failed });
  else log.info('cron run', { job, outcome, durationMs });
  await flushMetricsNow(env);
}
