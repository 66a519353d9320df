/**
 * The Stripe fake as its own process: `tsx fakes/stripe/main.ts`, with
 * STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, optional STRIPE_FAKE_PORT (0 =
 * any), STRIPE_WEBHOOK_URL, STRIPE_WEBHOOK_CONCURRENCY (deliveries in
 * flight at once, default 1) and STRIPE_WEBHOOK_EVENTS (the endpoint's enabled
 * events, comma-separated; default all). Prints `listening <url>` once ready; stops on
 * SIGTERM/SIGINT. Used by the benchmarks, so the fake does not share an
 * event loop with the load generator.
 */
import { startStripeFake } from './server';

const secretKey = process.env.STRIPE_SECRET_KEY;
const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET;
if (!secretKey || !webhookSecret) {
  console.error('stripe fake: STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are required');
  process.exit(2);
}
const fake = await startStripeFake({
  secretKey,
  webhookSecret,
  port: Number(process.env.STRIPE_FAKE_PORT ?? 0),
  ...(process.env.STRIPE_WEBHOOK_URL ? { webhookUrl: process.env.STRIPE_WEBHOOK_URL } : {}),
  ...(process.env.STRIPE_WEBHOOK_CONCURRENCY ? { webhookConcurrency: Number(process.env.STRIPE_WEBHOOK_CONCURRENCY) } : {}),
  ...(process.env.STRIPE_WEBHOOK_EVENTS ? { webhookEvents: process.env.STRIPE_WEBHOOK_EVENTS.split(',').map((t) => t.trim()).filter(Boolean) } : {}),
});
console.log(`listening ${fake.url}`);
const stop = () => void fake.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
