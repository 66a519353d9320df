/**
 * The EVENTS queue consumer: a thin adapter from a message batch to the
 * domain handlers, acking what is done and retrying (with backoff) what must
 * be tried again. Every handler is idempotent by event id, because delivery
 * is at least once (docs/decisions/0041).
 *
 * Loaded with a dynamic import from workers/index.ts: an isolate that only
 * answers API requests never evaluates it (nor, through it, the Twilio SDK).
 */
import { openDatabase, type Database } from '../../db/client';
import { isLocalMode } from '../env';
import { classifyMessage, orderIdOf, type EventEnvelope, type ShardEventBody } from '../services/events/envelope';
import { notifyFallback } from '../services/notifications/fallback';
import { notifyForEvent, type NotifyDeps } from '../services/notifications/index';
import { accountsWantedBy, loadOrderContext, type OrderContext } from '../services/notifications/recipients';
import { rulesFor } from '../services/notifications/rules';
import type { Order } from '../../db/schema/index';
import { notifyAccountEvent } from '../services/notifications/account-notices';
import { deliverEventToMerchant, handleWebhookRetry, type WebhookEventDeps } from '../services/webhooks/index';
import { dohResolver } from '../services/webhooks/url-policy';
import { BatchAcknowledgements } from './acknowledgements';
import { parkMessage } from './dead-letters';
import { scheduleWebhookRetry } from './retry-message';
import { retryDelaySeconds } from './retry-policy';
import { buildSenders } from './senders';
import type { DispatchFact } from '../../durable-objects/city-shard/events';
import { applyDispatchFact, type DispatchFactEffects } from '../services/orders/dispatch-facts';
import { afterOrderCommit } from '../services/order-commit';
import { cancelOrderDispatch, loadCityGeometry, publishOrderStatuses, shardOrderOf, type OrderStatusUpdate } from '../services/city-shard-client';
import { shardBackstop } from '../services/orders/shard-backstop';
import { feedBackstopOf, republishToMerchantFeeds, type FeedBackstop } from '../services/merchant-feed';
import { log } from '../../domain/log';
import { forEachLimited, groupedBy } from '../services/concurrency';

export interface ConsumerDeps extends NotifyDeps, WebhookEventDeps {
  db: Database;
  /** What follows a committed dispatch fact (feed, relay, shard); absent in tests that do not need it. */
  dispatchEffects?: DispatchFactEffects;
  /** Repeats a route's lost call into the city shard (services/orders/shard-backstop.ts); absent in tests that do not need it. */
  shardBackstop?: (event: EventEnvelope, orderNow?: (orderId: string) => Promise<Order | undefined>) => Promise<unknown>;
}

type Outcome = { retry: boolean };

/** Handlers of `{ id, type, createdAt, data }` events; each must be idempotent by `event.id`. */
const EVENT_HANDLERS: ((event: EventEnvelope, deps: ConsumerDeps) => Promise<Outcome | void>)[] = [
  (event, deps) => notifyForEvent(event, deps),
  (event, deps) => deliverEventToMerchant(event, deps),
  async (event, deps) => (event.type === 'notification.fallback' ? notifyFallback(event, deps) : undefined),
  // A re-dispatch a shard cannot take throws (the message is retried with backoff); the status call
  // is sent with the batch's others, once per shard (consumeEvents).
  async (event, deps) => void (await deps.shardBackstop?.(event, deps.orderContext && (async (id) => (await deps.orderContext!(id))?.order))),
  // The merchant feed's backstop runs once for the whole batch (consumeEvents).
  // Security notices to an account's owner (failed sign-ins, password changed): email only (ADR 0088).
  (event, deps) => notifyAccountEvent(event, deps),
];

/**
 * Shard facts that people hear about, as the notification event they become:
 * an offer reaches the driver's phone as a push (an app in the background
 * misses the socket message); arriving soon reaches the customer (the rule
 * checks the order is still in delivery). The dispatch queue's consumer sends
 * these to the EVENTS queue, so no provider call ever delays a dispatch fact.
 */
export function notificationOf(body: ShardEventBody): EventEnvelope | null {
  const e = body.event;
  if (e.type === 'dispatch.offered') {
    return { id: e.id, type: 'dispatch.offer', createdAt: e.at, data: { offerId: e.offerId, orderId: e.orderId, driverId: e.driverId, expiresAt: e.expiresAt, payoutCents: e.payoutCents } };
  }
  if (e.type === 'order.arriving_soon') {
    return { id: e.id, type: 'order.arriving_soon', createdAt: e.at, data: { orderId: e.orderId, driverId: e.driverId, etaSeconds: e.etaSeconds } };
  }
  // A silent driver (ADR 0079): asked whether they are still there, then told the order went to another driver.
  if (e.type === 'dispatch.driver_pinged') {
    return { id: e.id, type: 'dispatch.driver_ping', createdAt: e.at, data: { orderId: e.orderId, driverId: e.driverId, silentSeconds: e.silentSeconds, releaseAt: e.releaseAt } };
  }
  if (e.type === 'dispatch.driver_released') {
    return { id: e.id, type: 'dispatch.released', createdAt: e.at, data: { orderId: e.orderId, driverId: e.driverId, silentSeconds: e.silentSeconds } };
  }
  return null;
}

async function notifyShardFact(body: ShardEventBody, deps: ConsumerDeps): Promise<Outcome> {
  const event = notificationOf(body);
  return event ? notifyForEvent(event, deps) : { retry: false };
}

/** Handlers of city-shard facts: what people are told, and the orders domain's applier. */
const SHARD_HANDLERS: ((body: ShardEventBody, deps: ConsumerDeps, messageId: string) => Promise<Outcome | void>)[] = [
  (body, deps) => notifyShardFact(body, deps),
  (body, deps, messageId) => applyShardFact(body, deps, messageId),
];

const DISPATCH_FACTS = new Set(['dispatch.offered', 'dispatch.offer_resolved', 'dispatch.accepted', 'dispatch.unassigned']);
/**
 * Facts that only notify: nothing to write to Postgres besides the notification log. A silent
 * driver's release was committed through OrderCommands before its fact (ADR 0079); a silence
 * after pickup is an operators' alert (the log line, the city snapshot, the decision log).
 */
const NOTIFY_ONLY_FACTS = new Set(['order.arriving_soon', 'dispatch.driver_pinged', 'dispatch.driver_released', 'dispatch.driver_silent']);

export async function applyShardFact(body: ShardEventBody, deps: Pick<ConsumerDeps, 'db' | 'dispatchEffects'>, messageId: string): Promise<Outcome | void> {
  const e = body.event;
  if (e.type === 'dispatch.driver_silent') log.warn('driver silent after pickup: operators must reach them', { orderId: e.orderId, driverId: e.driverId, seconds: e.silentSeconds });
  if (NOTIFY_ONLY_FACTS.has(body.event.type)) return;
  if (!DISPATCH_FACTS.has(body.event.type)) {
    await parkMessage(deps.db, { messageId, body, attempts: 0, error: `unknown city-shard fact ${body.event.type}` });
    return;
  }
  await applyDispatchFact(deps.db, body.event as unknown as DispatchFact, deps.dispatchEffects);
}

/** `db` is the batch's client: the lookups here need no connection of their own. */
export function dispatchEffectsFor(env: Env, db: Database): DispatchFactEffects {
  return {
    async afterCommit(merchantId, events, order) {
      const pending: Promise<unknown>[] = [];
      afterOrderCommit(env, { waitUntil: (p) => pending.push(p) }, db, merchantId, events, order);
      await Promise.allSettled(pending);
    },
    async cancelDispatch(order, reason) {
      const city = await loadCityGeometry(db, order.cityId);
      if (city) await cancelOrderDispatch(env, city, shardOrderOf(order), reason);
    },
  };
}

export async function handleMessage(body: unknown, messageId: string, deps: ConsumerDeps, queue: Pick<Queue, 'send'>): Promise<Outcome> {
  const message = classifyMessage(body);
  const results: (Outcome | void)[] = [];
  switch (message.kind) {
    case 'event': {
      if (message.event.type === 'webhook.retry') {
        const { waitSeconds } = await handleWebhookRetry(message.event, deps);
        const { endpointId, eventId } = message.event.data as { endpointId: string; eventId: string };
        // Early: a new delayed message rather than a retry, which would count against max_retries.
        if (waitSeconds) await scheduleWebhookRetry(queue, endpointId, eventId, waitSeconds);
        return { retry: false };
      }
      // The order as Postgres has it now, read once for the handlers that need it (notifications, the shard's
      // backstop), with the accounts the event's notifications will write to.
      const contexts = new Map<string, Promise<OrderContext | undefined>>();
      const wanted = accountsWantedBy(rulesFor(message.event.type));
      const orderContext = (orderId: string) => {
        let ctx = contexts.get(orderId);
        if (!ctx) contexts.set(orderId, (ctx = loadOrderContext(deps.db, orderId, wanted)));
        return ctx;
      };
      const perMessage: ConsumerDeps = { ...deps, orderContext };
      results.push(...(await Promise.all(EVENT_HANDLERS.map((h) => h(message.event, perMessage)))));
      break;
    }
    case 'shard':
      for (const h of SHARD_HANDLERS) results.push(await h(message.body, deps, messageId));
      break;
    case 'unknown':
      await parkMessage(deps.db, { messageId, body, attempts: 0, error: 'unrecognised message: neither an event envelope nor a shard fact' });
      break;
  }
  return { retry: results.some((r) => r?.retry === true) };
}

/** Messages about one order, oldest first: handled in sequence so its messages go out in order. */
export function byOrder(messages: readonly Message<unknown>[]): Message<unknown>[][] {
  const groups = groupedBy(messages, (m) => {
    const c = classifyMessage(m.body);
    return c.kind === 'event' ? (orderIdOf(c.event) ?? m.id) : c.kind === 'shard' ? c.body.event.orderId : m.id;
  });
  const at = (m: Message<unknown>) => {
    const c = classifyMessage(m.body);
    return c.kind === 'event' ? Date.parse(c.event.createdAt) : c.kind === 'shard' ? Date.parse(c.body.event.at) : 0;
  };
  return [...groups.values()].map((g) => g.sort((a, b) => at(a) - at(b)));
}

export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = openDatabase(env.HYPERDRIVE.connectionString);
  const localMode = isLocalMode(env);
  // The backstops' calls of the batch, sent after its messages are handled (below), in handling order.
  const toShards: { eventId: string; shardKey: string; update: OrderStatusUpdate }[] = [];
  const handled: { message: Message<unknown>; event: EventEnvelope | null; feed: FeedBackstop | null }[] = [];
  const deps: ConsumerDeps = {
    db,
    senders: buildSenders(env),
    capture: localMode,
    localMode,
    resolve: dohResolver(env.DNS_RESOLVER_URL),
    publicBaseUrl: env.PUBLIC_BASE_URL,
    encryptionKeys: env.DATA_ENCRYPTION_KEYS,
    scheduleRetry: (endpointId, eventId, delaySeconds) => scheduleWebhookRetry(env.EVENTS, endpointId, eventId, delaySeconds),
    dispatchEffects: dispatchEffectsFor(env, db),
    // The shard's status call is sent with the batch's others (below), one call per shard.
    shardBackstop: (event, orderNow) => shardBackstop(env, db, event, orderNow, (shardKey, update) => toShards.push({ eventId: event.id, shardKey, update })),
    endpointMemo: new Map(),
  };
  // What was consumed and what goes round again, written once for the batch (ADR 0078).
  const acks = new BatchAcknowledgements();
  const retry = (message: Message<unknown>) => {
    const delaySeconds = retryDelaySeconds(message.attempts);
    message.retry({ delaySeconds });
    acks.retriedMessage(message.body, delaySeconds);
  };
  const consumed = (message: Message<unknown>) => {
    message.ack();
    acks.consumedMessage(message.body);
  };
  // A message that goes round again (another handler failed after the shard's backstop ran) takes
  // back the status call it left: its retry makes it again.
  const dropShardCalls = (event: EventEnvelope | null) => {
    for (let i = toShards.length - 1; event && i >= 0; i--) if (toShards[i]!.eventId === event.id) toShards.splice(i, 1);
  };
  // Four orders at a time (a Worker invocation has six sockets and the database
  // client takes up to five); one order's messages in the order they happened.
  await forEachLimited(byOrder(batch.messages), 4, async (messages) => {
    for (const message of messages) {
      const c = classifyMessage(message.body);
      const event = c.kind === 'event' ? c.event : null;
      try {
        const outcome = await handleMessage(message.body, message.id, deps, env.EVENTS);
        if (outcome.retry) {
          dropShardCalls(event);
          retry(message);
        } else {
          handled.push({ message, event, feed: event ? feedBackstopOf(event) : null });
        }
      } catch (error) {
        log.error('event handling failed; retrying', { messageId: message.id, attempts: message.attempts, error });
        dropShardCalls(event);
        retry(message);
      }
    }
  });
  // The backstops once per shard and once per merchant for the batch, not once per event: a
  // handled message is consumed when its shard and its merchant's feed took its event, retried
  // (all its handlers again, each idempotent by event id) when either could not.
  const [unreachable, applied] = await Promise.all([
    republishToMerchantFeeds(env, handled.flatMap((h) => (h.feed ? [h.feed] : []))),
    publishOrderStatuses(env, toShards),
  ]);
  const missed = new Set(toShards.filter((_, i) => !applied[i]).map((s) => s.eventId));
  for (const { message, event, feed } of handled) {
    const failed = (event !== null && missed.has(event.id)) || (feed !== null && unreachable.has(feed.merchantId));
    (failed ? retry : consumed)(message);
  }
  await acks.flush(db);
}
