import { createApp } from './app';

export { CityShard } from '../durable-objects/city-shard/CityShard';
export { RateLimiter } from '../durable-objects/rate-limiter/RateLimiter';
export { MerchantFeed } from '../durable-objects/merchant-feed/MerchantFeed';
export { AccountSessions } from '../durable-objects/account-sessions/AccountSessions';
export { MetricsAggregator } from '../durable-objects/metrics-aggregator/MetricsAggregator';
export { OrderCommands } from './order-commands';

const app = createApp();

export default {
  fetch: app.fetch,

  async queue(batch: MessageBatch<unknown>, env: Env, ctx?: ExecutionContext): Promise<void> {
    // Imported on first use: an isolate that only answers API requests never
    // evaluates the consumers, nor the Twilio SDK behind them.
    const { observeBatch } = await import('./queue/observed');
    // Each batch is counted by outcome, timed and logged in one line (ADR 0090, docs/logging.md).
    return observeBatch(batch, env, ctx, async (counted) => {
      if (batch.queue === 'delivery-events-dlq') return (await import('./queue/dead-letters')).consumeDeadLetters(counted, env);
      if (batch.queue === 'delivery-dispatch') return (await import('./queue/dispatch-consumer')).consumeDispatchFacts(counted, env);
      return (await import('./queue/consumer')).consumeEvents(counted, env);
    });
  },

  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    // Each sweep is its own: one failing (a database outage) is logged once and
    // tried again next minute, never an uncaught error, and never stops the others.
    // Each run is counted by outcome, timed and logged in one line (ADR 0090, docs/logging.md).
    const { observeCron } = await import('./queue/observed');
    const sweep = (name: string, run: () => Promise<unknown>) => ctx.waitUntil(observeCron(name, env, run));
    // The outbox relay backstop and webhook retry sweep; retention sweeps hang off this trigger too.
    sweep('event sweeps', async () => (await import('./queue/sweeps')).runEventSweeps(env));
    sweep('refund retry', async () => (await import('./services/payments/sweeps')).retryPendingRefundsNow(env));
    // Orders paid whose webhook never got through are settled from Stripe's own word.
    sweep('payment reconciliation', async () => (await import('./services/payments/sweeps')).reconcilePaymentsNow(env, ctx));
    // Orders their merchant never accepts: escalated, then cancelled with a refund (ADR 0080).
    sweep('unaccepted orders', async () => (await import('./services/orders/unaccepted')).sweepUnacceptedOrdersNow(env, ctx));
    // Scheduled orders whose release time has come go to their merchant (ADR 0108).
    sweep('scheduled releases', async () => (await import('./services/orders/scheduled')).releaseDueOrdersNow(env, ctx));
    // Secrets still in clear sealed, and (during a key rotation) rows under an older key sealed again (ADR 0083).
    sweep('seal sweep', async () => (await import('./services/secrets/seal-sweep')).sealSweepNow(env));
  },
} satisfies ExportedHandler<Env>;
