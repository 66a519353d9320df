/**
 * Creating an order: validate against the catalog and the city, price on the
 * server, and write everything in one transaction (order, contact, items,
 * first status event, outbox row, payment record, idempotency resource).
 * Refusals are 422 problems with field paths and write nothing.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import { jsonColumn, pgErrorCode, type Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import { cities, merchants, orderContacts, orderItems, orders, payments, products, userProfiles, type Order, type Payment } from '../../../db/schema/index';
import { problems, type FieldError } from '../../problem';
import { attachResourceSql, claimCte, KeyNotClaimed, type FoldedClaim, type IdempotencyRef } from '../idempotency';
import { outboxInsert, type OutboxEvent } from '../outbox';
import type { Keyring } from '../secrets/data-keys';
import { newOrderCodes } from './codes';
import { deliveryTerms, refusalOf } from '../delivery-terms';
import { MAX_ORDER_TOTAL_CENTS, priceOrder } from './pricing';
import { newOrderNumber } from '../../../domain/order';
import { scheduleOf } from './schedule';
import { eventInsert, outboxOf, type AppendedEvent, type EventActor } from './timeline';
import type { OrderDetail } from './view';

export interface CreateOrderInput {
  merchantId: string;
  items: { productId: string; quantity: number }[];
  dropoff: { address: string; location: { lat: number; lng: number }; instructions?: string | undefined };
  customer?: { name: string; phone: string; email?: string | undefined } | undefined;
  paid?: boolean | undefined;
  /** A later delivery window (ADR 0108); absent: as soon as possible. */
  scheduledFor?: { start: string; end: string } | undefined;
}

export type OrderCreator = { kind: 'customer'; userId: string } | { kind: 'merchant_api'; merchantId: string; keyId: string };

const invalid = (errors: FieldError[]) => problems.validation(errors);

/** The product columns pricing needs, as the lookup's JSON brings them. */
interface ProductFacts {
  id: string;
  name: string;
  priceCents: number;
  currency: string;
  available: boolean;
  requiresPrescription: boolean;
}

/** Rules that need no database: who may send which fields. */
export function checkCreatorFields(input: CreateOrderInput, creator: OrderCreator): void {
  const errors: FieldError[] = [];
  if (creator.kind === 'customer') {
    if (input.customer !== undefined) errors.push({ path: 'json.customer', message: 'Only a merchant creating an order for a customer gives the customer.' });
    if (input.paid !== undefined) errors.push({ path: 'json.paid', message: 'Only a merchant may mark an order as paid off-platform.' });
  } else {
    if (input.merchantId !== creator.merchantId) throw problems.forbidden('An API key creates orders for its own merchant only.');
    if (!input.customer) errors.push({ path: 'json.customer', message: 'A merchant creating an order must give the customer (name and phone).' });
  }
  const seen = new Map<string, number>();
  input.items.forEach((item, i) => {
    const first = seen.get(item.productId);
    if (first !== undefined) errors.push({ path: `json.items.${i}.productId`, message: `The same product is already line ${first}; change its quantity instead.` });
    else seen.set(item.productId, i);
  });
  if (errors.length > 0) throw invalid(errors);
}

export interface CreatedOrder {
  detail: OrderDetail;
  events: OutboxEvent[];
  /** The payment record to open a PaymentIntent for; null when paid off-platform. */
  payment: Payment | null;
}

/**
 * `claim`: the request's Idempotency-Key, claimed in the same statement as the
 * lookup (ADR 0104); when the key is not new, KeyNotClaimed is thrown before
 * anything read is used. Absent when the caller claimed the key already.
 */
export async function createOrder(
  db: Database,
  ring: Keyring,
  input: CreateOrderInput,
  creator: OrderCreator,
  idempotency: IdempotencyRef,
  now = new Date(),
  claim?: FoldedClaim,
): Promise<CreatedOrder> {
  checkCreatorFields(input, creator);

  // One round trip: the key's claim, the merchant, its city, the customer's
  // contact and the products asked for (as JSON), so the pricing has
  // everything it needs. From a one-row source, so that the claim's outcome
  // comes back even when the merchant does not exist.
  const ids = input.items.map((i) => i.productId);
  const claimed = claim ? claimCte(db, idempotency, claim, now) : null;
  const [place] = await (claimed ? db.with(claimed) : db)
    .select({
      claimed: claimed ? sql<boolean>`exists (select 1 from ${claimed})` : sql<boolean>`true`,
      merchant: merchants,
      city: cities,
      profile: { name: userProfiles.name, phone: userProfiles.phone, email: userProfiles.email },
      products: sql<unknown>`(select coalesce(json_agg(json_build_object(
          'id', p.id, 'name', p.name, 'priceCents', p.price_cents, 'currency', p.currency,
          'available', p.available, 'requiresPrescription', p.requires_prescription)), '[]'::json)
        from ${products} p where p.merchant_id = ${merchants.id} and p.id in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)}))`,
    })
    .from(sql`(select 1) as one`)
    .leftJoin(merchants, eq(merchants.id, input.merchantId))
    .leftJoin(cities, eq(cities.id, merchants.cityId))
    .leftJoin(userProfiles, eq(userProfiles.userId, creator.kind === 'customer' ? creator.userId : ''));
  if (claim) {
    if (!place?.claimed) throw new KeyNotClaimed();
    claim.taken = true;
  }
  if (!place?.merchant || !place.city) throw invalid([{ path: 'json.merchantId', message: 'No such merchant.' }]);
  const { merchant, city } = place;
  if (!merchant.open || merchant.suspended) throw invalid([{ path: 'json.merchantId', message: `${merchant.name} is not taking orders right now.` }]);

  // Zones, fee schedule and opening hours (ADR 0110, 0111): refused as the delivery quote says;
  // a scheduled order needs the shop open when its window starts, not now.
  const terms = deliveryTerms(city, merchant, input.dropoff.location, now, input.scheduledFor ? new Date(input.scheduledFor.start) : now);
  const refusal = refusalOf(terms, city, merchant);
  if (refusal) throw refusal;

  const schedule = scheduleOf(input.scheduledFor, merchant, now);

  const found = jsonColumn<ProductFacts[]>(place.products);
  const byId = new Map(found.map((p) => [p.id, p]));
  const errors: FieldError[] = [];
  input.items.forEach((item, i) => {
    const product = byId.get(item.productId);
    if (!product) errors.push({ path: `json.items.${i}.productId`, message: 'No such product at this merchant.' });
    else if (!product.available) errors.push({ path: `json.items.${i}.productId`, message: `${product.name} is not available.` });
    else if (product.currency !== city.currency) errors.push({ path: `json.items.${i}.productId`, message: `${product.name} is not priced in ${city.currency}.` });
  });
  if (errors.length > 0) throw invalid(errors);

  const lines = input.items.map((item) => ({ product: byId.get(item.productId)!, quantity: item.quantity }));
  const distanceM = terms.distanceM;
  const totals = priceOrder(lines.map((l) => ({ unitPriceCents: l.product.priceCents, quantity: l.quantity })), city, distanceM, terms.deliveryFeeCents ?? undefined);
  if (totals.totalCents > MAX_ORDER_TOTAL_CENTS) throw invalid([{ path: 'json.items', message: `The order total exceeds the maximum of ${MAX_ORDER_TOTAL_CENTS} minor units.` }]);

  const paidOffPlatform = creator.kind === 'merchant_api' && input.paid === true;
  const status = paidOffPlatform ? 'placed' : 'pending_payment';
  const orderId = newId('ord');
  const actor: EventActor = creator.kind === 'customer' ? { type: 'customer', id: creator.userId } : { type: 'merchant', id: creator.keyId };
  const contactSource = creator.kind === 'customer' ? place.profile : input.customer!;

  const order: Order = {
    id: orderId,
    number: newOrderNumber(),
    cityId: city.id,
    merchantId: merchant.id,
    customerId: creator.kind === 'customer' ? creator.userId : null,
    driverId: null,
    status,
    dispatchState: 'unassigned',
    source: creator.kind === 'customer' ? 'customer' : 'merchant_api',
    apiKeyId: creator.kind === 'merchant_api' ? creator.keyId : null,
    ...totals,
    currency: city.currency,
    driverPayoutCents: null,
    distanceM,
    pickupLat: merchant.lat,
    pickupLng: merchant.lng,
    dropoffLat: input.dropoff.location.lat,
    dropoffLng: input.dropoff.location.lng,
    // The PIN (shown to the customer once placed) and the tracking token, hashed and sealed (ADR 0083).
    deliveryPin: null,
    trackingToken: null,
    ...(await newOrderCodes(ring, orderId)),
    trackingExpiresAt: null,
    requiresPrescription: lines.some((l) => l.product.requiresPrescription),
    paidOffPlatform,
    cancelReason: null,
    createdAt: now,
    updatedAt: now,
    placedAt: paidOffPlatform ? now : null,
    escalatedAt: null,
    deliveredAt: null,
    ...schedule,
    version: 0,
    // The creation is the order's first event.
    seq: 1,
  };
  const contact = {
    orderId,
    name: contactSource?.name ?? null,
    phone: contactSource?.phone ?? null,
    email: contactSource?.email ?? null,
    address: input.dropoff.address,
    instructions: input.dropoff.instructions ?? null,
    createdAt: now,
    erasedAt: null,
  };
  const items = lines.map((l) => ({
    id: newId('oit'),
    orderId,
    productId: l.product.id,
    name: l.product.name,
    unitPriceCents: l.product.priceCents,
    quantity: l.quantity,
    lineTotalCents: l.product.priceCents * l.quantity,
    requiresPrescription: l.product.requiresPrescription,
  }));
  const payment: Payment | null = paidOffPlatform
    ? null
    : { id: newId('pay'), orderId, provider: 'stripe', providerPaymentId: null, status: 'requires_payment', amountCents: totals.totalCents, currency: city.currency, refundedCents: 0, failureReason: null, createdAt: now, updatedAt: now };

  for (let attempt = 1; ; attempt++) {
    const first: AppendedEvent = { type: paidOffPlatform ? 'order.placed' : 'order.created', order, previous: null, actor, at: now };
    const events = [outboxOf(first)];
    // One statement, so one implicit transaction and one round trip: every
    // insert is a data-modifying CTE (foreign keys are checked at the end of
    // the statement, when the order row exists). All of it commits or none.
    const writes: SQL[] = [
      db.insert(orders).values(order).getSQL(),
      db.insert(orderContacts).values(contact).getSQL(),
      db.insert(orderItems).values(items).getSQL(),
      eventInsert(db, first).getSQL(),
      outboxInsert(db, events).getSQL(),
      ...(payment ? [db.insert(payments).values(payment).getSQL()] : []),
      attachResourceSql(idempotency, orderId),
    ];
    try {
      await db.execute(sql`with ${sql.join(writes.map((w, i) => sql`${sql.raw(`w${i}`)} as (${w})`), sql`, `)} select 1`);
      return { detail: { order, items, contact, driver: null }, events, payment };
    } catch (error) {
      // Two orders drew the same human number (rare: 3.4·10^9 numbers): draw again.
      if (attempt >= 3 || !isNumberCollision(error)) throw error;
      order.number = newOrderNumber();
    }
  }
}

const isNumberCollision = (error: unknown): boolean => {
  const { code, constraint } = pgErrorCode(error);
  return code === '23505' && constraint === 'orders_number_unique';
};

