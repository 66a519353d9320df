/**
 * The Stripe fake as a local service of `npm start` (scripts/lib/local-services.ts):
 * on a fixed port (STRIPE_FAKE_PORT, default 12111, the port of Stripe's own
 * stripe-mock), checking the local STRIPE_SECRET_KEY and delivering signed
 * webhooks to the running Worker, so a customer who pays with the test card
 * 4242 4242 4242 4242 sees the order become `placed`. README: "Local payments".
 */
import path from 'node:path';
import type { LocalService } from '../shared/local-service';
import { STRIPE_EVENTS_ACTED_ON } from '../../domain/stripe-events';
import { startStripeFake, type StripeFake } from './server';

export const STRIPE_FAKE_DEFAULT_PORT = 12111;

export const stripeLocalService: LocalService = {
  name: 'stripe',
  async start(ctx) {
    const wanted = Number(process.env.STRIPE_FAKE_PORT ?? STRIPE_FAKE_DEFAULT_PORT);
    const options = {
      secretKey: ctx.secrets.STRIPE_SECRET_KEY!,
      webhookSecret: ctx.secrets.STRIPE_WEBHOOK_SECRET!,
      webhookUrl: `${ctx.apiOrigin}/v1/webhooks/stripe`,
      // Subscribed as the runbook has production's endpoint subscribed: to the events the platform acts on.
      webhookEvents: STRIPE_EVENTS_ACTED_ON,
      // What it holds survives a restart of npm start (persistence.ts).
      ...(ctx.stateDir ? { stateFile: path.join(ctx.stateDir, 'stripe.json') } : {}),
      log: ctx.log,
    };
    let fake: StripeFake;
    try {
      fake = await startStripeFake({ ...options, port: wanted });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      // Another run holds the port (two platforms at once, e.g. browser tests beside npm start).
      fake = await startStripeFake({ ...options, port: 0 });
      ctx.log(`stripe fake: port ${wanted} is taken, using ${fake.port}`);
    }
    return { name: 'stripe', vars: { STRIPE_API_BASE: fake.url }, url: `${fake.url}/`, stop: () => fake.stop() };
  },
};
