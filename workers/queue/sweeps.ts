/**
 * The minute cron's share of event delivery: the outbox relay backstop
 * (rows the prompt path could not publish), the redelivery of events
 * published but never acknowledged by the consumer (redelivery.ts, ADR 0078),
 * and merchant webhook retries
 * whose delayed queue message never arrived; and the retention of delivery
 * proof photos (deleted 30 days after upload, a batch per run) and of the
 * short-lived rows in services/retention.ts (bounded batches per run), and the
 * time partitions: created ahead, dropped past their retention (services/partitions.ts).
 */
import { openDatabase } from '../../db/client';
import { isLocalMode } from '../env';
import { relayOutboxBackstop } from '../services/outbox-relay';
import { sweepExpiredProofPhotos } from '../services/proof-photos/store';
import { maintainPartitions } from '../services/partitions';
import { runRetentionSweep } from '../services/retention';
import { sweepDueRetries } from '../services/webhooks/deliveries';
import { redeliverUnconsumedNow } from './redelivery';
import { scheduleWebhookRetry } from './retry-message';
import { log } from '../../domain/log';
import { dohResolver } from '../services/webhooks/url-policy';

export async function runEventSweeps(env: Env): Promise<void> {
  const results = await Promise.allSettled([
    relayOutboxBackstop(env),
    redeliverUnconsumedNow(env),
    sweepDueRetries({
      db: openDatabase(env.HYPERDRIVE.connectionString, { max: 2 }),
      localMode: isLocalMode(env),
      resolve: dohResolver(env.DNS_RESOLVER_URL),
      encryptionKeys: env.DATA_ENCRYPTION_KEYS,
      scheduleRetry: (endpointId, eventId, delaySeconds) => scheduleWebhookRetry(env.EVENTS, endpointId, eventId, delaySeconds),
    }),
    sweepExpiredProofPhotos(openDatabase(env.HYPERDRIVE.connectionString, { max: 2 }), env.PROOF_PHOTOS),
    runRetentionSweep(openDatabase(env.HYPERDRIVE.connectionString, { max: 1 })),
    maintainPartitions(openDatabase(env.HYPERDRIVE.connectionString, { max: 1 })),
  ]);
  for (const r of results) {
    if (r.status === 'rejected') log.error('event sweep failed', { error: r.reason });
  }
}
