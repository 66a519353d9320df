/**
 * Publishing order changes to the merchant's live feed (MerchantFeed Durable
 * Object, one per merchant). Called right after a commit, never inside the
 * transaction: the feed must not announce what might still roll back. A
 * publish that is lost (the isolate dies between commit and publish) is
 * recoverable because the same events sit in the outbox with the same ids;
 * the feed ignores an id it has already numbered.
 */
import type { FeedEventInput } from '../../durable-objects/merchant-feed/protocol';
import type { OutboxEvent } from './outbox';

/** The only place the feed object's name is built. */
export const merchantFeedName = (merchantId: string): string => `merchant:${merchantId}`;

export function merchantFeedStub(env: Pick<Env, 'MERCHANT_FEED'>, merchantId: string) {
  return env.MERCHANT_FEED.get(env.MERCHANT_FEED.idFromName(merchantFeedName(merchantId)));
}

/** Order events as the feed carries them (payment events do not go to the feed). */
export function feedEventsFrom(events: readonly OutboxEvent[]): FeedEventInput[] {
  return events
    .filter((e) => e.aggregateType === 'order')
    .map((e) => ({
      eventId: e.id,
      event: e.topic,
      orderId: e.aggregateId,
      status: e.payload.status as FeedEventInput['status'],
      dispatch: e.payload.dispatch as FeedEventInput['dispatch'],
      at: e.createdAt.toISOString(),
    }));
}

/** Never throws: the change is committed whatever happens to its live announcement. */
export async function publishToMerchantFeed(env: Pick<Env, 'MERCHANT_FEED'>, merchantId: string, events: readonly OutboxEvent[]): Promise<void> {
  const inputs = feedEventsFrom(events);
  if (inputs.length === 0) return;
  try {
    await merchantFeedStub(env, merchantId).publish(inputs);
  } catch (error) {
    console.warn(JSON.stringify({ msg: 'merchant feed: publish failed (the outbox keeps the events)', merchantId, error: String(error) }));
  }
}
