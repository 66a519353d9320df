/**
 * A channel that fails for good after the provider accepted the message:
 * Twilio's status callback says `undelivered` or `failed` minutes after the
 * send. The failure and an internal `notification.fallback` outbox row commit
 * together; the consumer then runs the original event again for that one
 * recipient and rule. The log makes that run do only what is left: the failed
 * SMS is settled, so a `first` rule moves on to the next allowed channel,
 * and an `all` rule (every allowed channel already carried the message) sends
 * nothing more (docs/decisions/0066).
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { outbox } from '../../../db/schema/index';
import type { EventEnvelope } from '../events/envelope';
import { outboxEvent, writeOutbox } from '../outbox';
import { toEnvelope } from '../outbox-relay';
import { notifyForEvent, type NotifyDeps } from './index';
import { applyProviderStatus } from './log';
import { eventTypeOfTemplate } from './rules';
import { log } from '../../../domain/log';

/** Records the provider's final failure; answers how many sent messages it concerned (0: unknown, or already settled). */
export async function recordDeliveryFailure(db: Database, provider: string, providerMessageId: string, error: string): Promise<number> {
  return db.transaction(async (tx) => {
    const changed = await applyProviderStatus(tx, provider, providerMessageId, 'failed', error);
    await writeOutbox(
      tx,
      changed.map((row) =>
        outboxEvent('notification.fallback', { type: 'notification', id: row.id }, {
          logId: row.id,
          eventId: row.eventId,
          orderId: row.orderId,
          userId: row.userId,
          template: row.template,
          failedChannel: row.channel,
        }),
      ),
    );
    return changed.length;
  });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * The event the failed message was about: its outbox row when it came from
 * the outbox (with its data and time), else (a city-shard fact, or a row
 * pruned since) rebuilt from the template and the order.
 */
async function originalEvent(db: Database, eventId: string, template: string, orderId: string | undefined, fallbackAt: string): Promise<EventEnvelope | undefined> {
  const [row] = await db.select().from(outbox).where(eq(outbox.id, eventId));
  if (row) return toEnvelope(row);
  const type = eventTypeOfTemplate(template);
  if (!type || !orderId) return undefined;
  return { id: eventId, type, createdAt: fallbackAt, data: { orderId } };
}

/** Consumer side of `notification.fallback`: the original event again, for the one recipient and rule. */
export async function notifyFallback(event: EventEnvelope, deps: NotifyDeps): Promise<{ retry: boolean }> {
  const eventId = str(event.data.eventId);
  const template = str(event.data.template);
  const userId = str(event.data.userId) ?? null;
  if (!eventId || !template) return { retry: false };
  const original = await originalEvent(deps.db, eventId, template, str(event.data.orderId), event.createdAt);
  if (!original) {
    log.warn('notification fallback: original event unknown', { eventId, template });
    return { retry: false };
  }
  return notifyForEvent(original, deps, { template, userId });
}
