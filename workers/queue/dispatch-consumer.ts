/**
 * The DISPATCH queue's consumer: the city shards' facts (offers, their
 * outcomes, assignments, a search that found nobody, arriving soon), kept
 * apart from the EVENTS queue so a slow SMS provider or a merchant's slow
 * webhook endpoint never delays what the dispatcher decided (ADR 0075).
 * It only writes Postgres and calls the shard; a fact that people hear about
 * becomes a notification event sent on to the EVENTS queue, whose consumer
 * calls the providers. At least once: every step is idempotent by fact id.
 */
import { openDatabase } from '../../db/client';
import { classifyMessage } from '../services/events/envelope';
import { parkMessage } from './dead-letters';
import { applyShardFact, byOrder, dispatchEffectsFor, notificationOf } from './consumer';
import { forEachLimited } from '../services/concurrency';
import { retryDelaySeconds } from './retry-policy';
import { log } from '../../domain/log';

export async function consumeDispatchFacts(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = openDatabase(env.HYPERDRIVE.connectionString);
  const deps = { db, dispatchEffects: dispatchEffectsFor(env, db) };
  // One order's facts in the order they were decided; four orders at a time.
  await forEachLimited(byOrder(batch.messages), 4, async (messages) => {
    for (const message of messages) {
      try {
        const kind = classifyMessage(message.body);
        if (kind.kind !== 'shard') {
          await parkMessage(db, { messageId: message.id, body: message.body, attempts: message.attempts, error: 'not a city-shard fact on the dispatch queue' });
        } else {
          await applyShardFact(kind.body, deps, message.id);
          const notification = notificationOf(kind.body);
          if (notification) await env.EVENTS.send(notification, { contentType: 'json' });
        }
        message.ack();
      } catch (error) {
        log.error('dispatch fact failed; retrying', { messageId: message.id, attempts: message.attempts, error });
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
      }
    }
  });
}
