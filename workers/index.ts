import { createApp } from './app';

export { CityShard } from '../durable-objects/city-shard/CityShard';
export { RateLimiter } from '../durable-objects/rate-limiter/RateLimiter';
export { MerchantFeed } from '../durable-objects/merchant-feed/MerchantFeed';

const app = createApp();

export default {
  fetch: app.fetch,

  async queue(batch: MessageBatch<unknown>): Promise<void> {
    // Consumers arrive with the notifications work; until then nothing is
    // produced, and anything that shows up is acknowledged so it does not loop.
    batch.ackAll();
  },

  async scheduled(_controller: ScheduledController, _env: Env, _ctx: ExecutionContext): Promise<void> {
    // The outbox relay backstop and retention sweeps hang off this trigger.
  },
} satisfies ExportedHandler<Env>;
