/**
 * The seam between the shard and Postgres (docs/decisions/0035). The shard
 * never writes Postgres on its hot path: each dispatch fact it decides is
 * written to its own SQLite outbox in the same step as the state change, then
 * published through an `EventSink` (production: the EVENTS queue) until the
 * sink accepts it. Delivery is at least once; every event carries a stable
 * `id`, so the consumer deduplicates by it.
 *
 * The consumer (orders domain) applies them in one Postgres transaction each:
 * - `dispatch.offered` / `dispatch.offer_resolved` → upsert `dispatch_offers`
 * - `dispatch.accepted` → orders.driver_id, dispatch_state `assigned`,
 *   driver_payout_cents, an order_status_events row and an outbox row
 *   (`order.assigned`). If the order can no longer be assigned (cancelled in
 *   the meantime), it calls the shard's `cancelDispatch` RPC instead.
 * - `dispatch.unassigned` → dispatch_state `unassigned`, visible to operators.
 * - `order.arriving_soon` (a trip fact, not a dispatch decision) → the
 *   customer's arriving-soon notification, once per order.
 */
import type { RankedCandidate } from './matching';
import { log } from '../../domain/log';

interface Base {
  /** Stable across retries: the consumer's idempotency key. */
  id: string;
  /** The shard that decided (see domain/shard-keys.ts). */
  shardKey: string;
  orderId: string;
  /** ISO time of the decision. */
  at: string;
}

/** The dispatch facts, applied to Postgres by workers/services/orders/dispatch-facts.ts. */
export type DispatchFact =
  | (Base & {
      type: 'dispatch.offered';
      offerId: string;
      driverId: string;
      round: number;
      expiresAt: string;
      payoutCents: number;
      candidates: RankedCandidate[];
      reason: string;
      distanceM: number;
      etaSeconds: number;
      score: number;
    })
  | (Base & {
      type: 'dispatch.offer_resolved';
      offerId: string;
      driverId: string;
      status: 'accepted' | 'declined' | 'expired' | 'cancelled';
      outcomeReason: string;
    })
  | (Base & { type: 'dispatch.accepted'; offerId: string; driverId: string; payoutCents: number })
  | (Base & { type: 'dispatch.unassigned'; reason: string });

/**
 * A trip fact: the driver of an order in delivery is first within a few
 * minutes (or a few hundred metres) of the dropoff. Emitted once per order
 * (the job remembers it in SQLite); the consumer turns it into the
 * customer's `order.arriving_soon` notification (docs/decisions/0065).
 */
export type ArrivingSoonFact = Base & { type: 'order.arriving_soon'; driverId: string; etaSeconds: number; distanceM: number };

/**
 * The watch on an assigned driver's silence (silence.ts, ADR 0079), facts
 * people hear about and nothing is written for (the release itself is
 * committed through OrderCommands before it is announced):
 * - `dispatch.driver_pinged`: no fix or step for `silentSeconds`; the driver
 *   is pushed "are you there?" (`releaseAt`: when the order goes to another
 *   driver; null after pickup, when it never does);
 * - `dispatch.driver_released`: the order was taken from the silent driver
 *   and offered again; the driver is pushed that it is gone;
 * - `dispatch.driver_silent`: the driver of a picked-up order stayed silent
 *   (the food is with them, so it is not offered again): an operators' alert.
 * Each once per silence: its id names the order, the driver and when the silence began.
 */
export type SilenceFact =
  | (Base & { type: 'dispatch.driver_pinged'; driverId: string; silentSeconds: number; releaseAt: string | null })
  | (Base & { type: 'dispatch.driver_released'; driverId: string; reason: 'driver_unresponsive'; silentSeconds: number })
  | (Base & { type: 'dispatch.driver_silent'; driverId: string; silentSeconds: number; afterPickup: true });

export type ShardEvent = DispatchFact | ArrivingSoonFact | SilenceFact;

/** Where the shard's outbox is published. Must throw when the events were not accepted. */
export interface EventSink {
  publish(events: readonly ShardEvent[]): Promise<void>;
}

/** Queue message body: `source` lets the shared queue's consumer route it. */
export interface ShardEventMessage {
  source: 'city-shard';
  event: ShardEvent;
}

/** Production sink: the Worker's DISPATCH queue (workers/queue/dispatch-consumer.ts), apart from notifications (ADR 0075). */
export class QueueEventSink implements EventSink {
  constructor(private readonly queue: { sendBatch(messages: Iterable<{ body: ShardEventMessage }>): Promise<unknown> }) {}

  async publish(events: readonly ShardEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.queue.sendBatch(events.map((event) => ({ body: { source: 'city-shard', event } })));
    // One line per shard event published (docs/logging.md): what, where, which order and driver; ids only.
    for (const event of events) {
      log.info('shard event', {
        event: event.type,
        eventId: event.id,
        shard: event.shardKey,
        orderId: event.orderId,
        ...('driverId' in event ? { driverId: event.driverId } : {}),
      });
    }
  }
}
