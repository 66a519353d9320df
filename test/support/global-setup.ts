import type { TestProject } from 'vitest/node';
import { startPostgres } from '../../scripts/lib/postgres';
import { migrateDatabase } from '../../scripts/lib/migrate';
import { startStripeFake } from '../../fakes/stripe/index';
import { startNotificationFakes } from '../../fakes/notifications';
import { TEST_SECRETS } from './secrets';


/**
 * Starts Postgres for a test project (embedded, or a fresh database on the
 * server DATABASE_URL names), migrates it from empty, and hands its URL to the
 * tests and to the Hyperdrive binding.
 */
export default async function setup(project: TestProject) {
  const pg = await startPostgres({
    database: `delivery_test_${process.pid}`,
    freshDatabaseOnExternal: true,
  });
  await migrateDatabase(pg.url);
  project.provide('databaseUrl', pg.url);
  // The Stripe fake: the Worker's STRIPE_API_BASE points here (vitest.config.ts).
  // Webhooks are not pushed (a Worker under test has no port): tests fetch the
  // signed events from /_fake/events and deliver them themselves.
  const stripe = await startStripeFake({ secretKey: TEST_SECRETS.STRIPE_SECRET_KEY, webhookSecret: TEST_SECRETS.STRIPE_WEBHOOK_SECRET });
  project.provide('stripeFakeUrl', stripe.url);
  // Twilio, FCM, Postmark and a merchant webhook receiver: the Worker's provider
  // base URLs and FCM service account point at these (vitest.config.ts).
  const notifications = await startNotificationFakes({
    twilio: { accountSid: TEST_SECRETS.TWILIO_ACCOUNT_SID, authToken: TEST_SECRETS.TWILIO_AUTH_TOKEN },
    emailServerToken: TEST_SECRETS.EMAIL_API_TOKEN,
  });
  project.provide('notificationBindings', notifications.bindings);
  project.provide('webhookReceiverUrl', notifications.webhooks.url);
  return async () => {
    await notifications.stop();
    await stripe.stop();
    await pg.stop();
  };
}
