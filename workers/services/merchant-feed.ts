/**
 * Publishing order changes to the merchant's live feed (MerchantFeed Durable
 * Object, one per merchant). Called right after a commit, never inside the
 * transaction: the feed must not announce what might still roll back. A
 * publish that is lost (the isolate dies between commit and publish) is
 * recovered by the queue's backstop below (`republishToMerchantFeeds`): the
 * same events reach the EVENTS queue from the outbox with the same ids, and
 * the feed ignores an id (or an order seq) it has already sent.
 */
import type { FeedEventInput } from '../../domain/protocol/merchant-feed';
import type { EventEnvelope } from './events/envelope';
import type { OutboxEvent } from './outbox';
import { log } from '../../domain/log';
import { forEachLimited, groupedBy } from './concurrency';

/** The only place the feed object's name is built. */
export const merchantFeedName = (merchantId: string): string => `merchant:${merchantId}`;

export function merchantFeedStub(env: Pick<Env, 'MERCHANT_FEED'>, merchantId: string) {
  return env.MERCHANT_FEED.get(env.MERCHANT_FEED.idFromName(merchantFeedName(merchantId)));
}

/** One order event as the feed carries it, from the outbox row's id, topic, time and payload (timeline.ts orderEventPayload). */
function feedInputOf(eventId: string, event: string, orderId: string, at: string, payload: Record<string, unknown>): FeedEventInput {
  return {
    eventId,
    event,
    orderId,
    status: payload.status as FeedEventInput['status'],
    dispatch: (typeof payload.dispatch === 'string' ? payload.dispatch : 'unassigned') as FeedEventInput['dispatch'],
    at,
    ...(typeof payload.seq === 'number' && payload.seq >= 1 ? { orderSeq: payload.seq } : {}),
    ...(payload.snapshot && typeof payload.snapshot === 'object' ? { order: payload.snapshot as Record<string, unknown> } : {}),
  };
}

/** Order events as the feed carries them (payment events do not go to the feed). */
export function feedEventsFrom(events: readonly OutboxEvent[]): FeedEventInput[] {
  return events.filter((e) => e.aggregateType === 'order').map((e) => feedInputOf(e.id, e.topic, e.aggregateId, e.createdAt.toISOString(), e.payload));
}

/** Never throws: the change is committed whatever happens to its live announcement. */
export async function publishToMerchantFeed(env: Pick<Env, 'MERCHANT_FEED'>, merchantId: string, events: readonly OutboxEvent[]): Promise<void> {
  const inputs = feedEventsFrom(events);
  if (inputs.length === 0) return;
  try {
    await merchantFeedStub(env, merchantId).publish(inputs);
  } catch (error) {
    log.warn('merchant feed: publish failed (the outbox keeps the events)', { merchantId, error });
  }
}

/**
 * The queue's backstop for a publish lost after its commit (an isolate gone
 * before its waitUntil ran): every order event that reaches the EVENTS queue
 * is published again from its envelope. The feed drops what it already sent
 * (same event id, or an order seq not newer), so the normal path and this one
 * may both land.
 */
export interface FeedBackstop {
  merchantId: string;
  input: FeedEventInput;
}

/** What of an event goes to which feed (null: none — not an order event, or not one the feed carries). */
export function feedBackstopOf(event: EventEnvelope): FeedBackstop | null {
  const d = event.data;
  if (!event.type.startsWith('order.') || typeof d.merchantId !== 'string' || typeof d.orderId !== 'string' || typeof d.status !== 'string' || typeof d.seq !== 'number') return null;
  return { merchantId: d.merchantId, input: feedInputOf(event.id, event.type, d.orderId, event.createdAt, d) };
}

/**
 * The backstop for a queue batch's events at once: each merchant's events in
 * one publish, in the order given (issue 14: one call per event was about a
 * tenth of the Worker's CPU per order, with the shard's backstop). Answers the
 * merchants whose feed could not be reached: their messages are retried.
 */
export async function republishToMerchantFeeds(env: Pick<Env, 'MERCHANT_FEED'>, feeds: readonly FeedBackstop[]): Promise<Set<string>> {
  const failed = new Set<string>();
  await forEachLimited([...groupedBy(feeds, (f) => f.merchantId)], 4, async ([merchantId, events]) => {
    try {
      await merchantFeedStub(env, merchantId).publish(events.map((e) => e.input));
    } catch (error) {
      log.warn('merchant feed: backstop publish failed (its messages are retried)', { merchantId, error });
      failed.add(merchantId);
    }
  });
  return failed;
}
