import { createApp } from './app';

export { CityShard } from '../durable-objects/city-shard/CityShard';
export { RateLimiter } from '../durable-objects/rate-limiter/RateLimiter';
export { MerchantFeed } from '../durable-objects/merchant-feed/MerchantFeed';
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
    // The outbox relay backstop and webhook retry sweep; retention sweeps hang off this trigger too.
    ctx.waitUntil(import('./queue/sweeps').then(({ runEventSweeps }) => runEventSweeps(env)));
    ctx.waitUntil(import('./services/payments/sweeps').then(({ retryPendingRefundsNow }) => retryPendingRefundsNow(env)));
    // Orders paid whose webhook never got through are settled from Stripe's own word.
    ctx.waitUntil(
      import('./services/payments/sweeps')
        .then(({ reconcilePaymentsNow }) => reconcilePaymentsNow(env, ctx))
        .catch((error: unknown) => console.error(JSON.stringify({ msg: 'payment reconciliation failed; the next minute tries again', error: String(error) }))),
    );
  },
} satisfies ExportedHandler<Env>;
