import { createApp } from './app';
import { log } from '../domain/log';

export { CityShard } from '../durable-objects/city-shard/CityShard';
export { RateLimiter } from '../durable-objects/rate-limiter/RateLimiter';
export { MerchantFeed } from '../durable-objects/merchant-feed/MerchantFeed';
export { AccountSessions } from '../durable-objects/account-sessions/AccountSessions';
export { OrderCommands } from './order-commands';

const app = createApp();

export default {
  fetch: app.fetch,

  async queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
    // Imported on first use: an isolate that only answers API requests never
    // evaluates the consumers, nor the Twilio SDK behind them.
    if (batch.queue === 'delivery-events-dlq') return (await import('./queue/dead-letters')).consumeDeadLetters(batch, env);
    if (batch.queue === 'delivery-dispatch') return (await import('./queue/dispatch-consumer')).consumeDispatchFacts(batch, env);
    return (await import('./queue/consumer')).consumeEvents(batch, env);
  },

  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    // Each sweep is its own: one failing (a database outage) is logged once and
    // tried again next minute, never an uncaught error, and never stops the others.
    const sweep = (name: string, run: () => Promise<unknown>) =>
      ctx.waitUntil(run().catch((error: unknown) => log.error(`${name} failed; the next minute tries again`, { error })));
    // The outbox relay backstop and webhook retry sweep; retention sweeps hang off this trigger too.
    sweep('event sweeps', async () => (await import('./queue/sweeps')).runEventSweeps(env));
    sweep('refund retry', async () => (await import('./services/payments/sweeps')).retryPendingRefundsNow(env));
    // Orders paid whose webhook never got through are settled from Stripe's own word.
    sweep('payment reconciliation', async () => (await import('./services/payments/sweeps')).reconcilePaymentsNow(env, ctx));
    // Orders their merchant never accepts: escalated, then cancelled with a refund (ADR 0080).
    sweep('unaccepted orders', async () => (await import('./services/orders/unaccepted')).sweepUnacceptedOrdersNow(env, ctx));
    // Secrets still in clear sealed, and (during a key rotation) rows under an older key sealed again (ADR 0083).
    sweep('seal sweep', async () => (await import('./services/secrets/seal-sweep')).sealSweepNow(env));
  },
} satisfies ExportedHandler<Env>;
