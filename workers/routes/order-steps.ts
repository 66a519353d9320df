/**
 * Lifecycle steps: POST /v1/orders/{id}/{step}. Who may call (API.md):
 * - accept, reject, ready: the order's merchant (any of its staff, its API key);
 * - arrived, pickup, deliver, fail: the order's assigned driver;
 * - cancel: its customer before `preparing`, its merchant before `in_delivery`.
 * A party to the order taking a step that is not theirs: 403. Anyone else:
 * 404. A step the current status does not allow: 409 with `currentStatus`.
 * Each step commits its status event and outbox row with the change; of two
 * concurrent steps exactly one wins (services/orders/transitions.ts).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { and, eq } from 'drizzle-orm';
import { deliveryProofs, proofPhotos } from '../../db/schema/index';
import type { AppEnv } from '../env';
import { assertMerchantAccess, principalOf, requireAuth } from '../middleware/auth';
import { limiterOf, withLimiter } from '../middleware/rate-limit';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { OrderIdParam, OrderSchema } from '../schemas/orders';
import { paymentProvider } from '../providers/payments/index';
import { startDispatch } from '../services/dispatch-client';
import { afterOrderCommit } from '../services/order-commit';
import { eventActorOf } from '../services/orders/access';
import { loadOrderDetail } from '../services/orders/repository';
import type { OrderStep } from '../services/orders/state-machine';
import { runOrderStep } from '../services/orders/transitions';
import { issuedPhotoId } from '../services/proof-photos/urls';
import { orderView } from '../services/orders/view';
import { planSettlement, settle, type Settlement } from '../services/payments/payments';
import { RULES, subjectName } from '../services/auth/throttle';
import { visibleOrder } from './orders';

const ReasonBody = z.object({ reason: z.string().trim().min(1).max(300).optional() }).strict().openapi('StepReason');

const DeliverBody = z
  .object({
    pin: z.string().regex(/^\d{4}$/, 'The 4-digit code the customer was sent.').optional(),
    photoUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional()
      .openapi({ description: 'The `url` that POST /v1/orders/{id}/proof-photos answered for this order; any other link is refused (422).' }),
    idCheck: z
      .object({
        documentType: z.enum(['id_card', 'passport', 'driving_licence', 'residence_permit']),
        birthYear: z.number().int().min(1900).max(new Date().getUTCFullYear()),
      })
      .strict()
      .optional()
      .openapi({ description: 'Required when the order contains a product that requires a prescription.' }),
  })
  .strict()
  .refine((b) => (b.pin === undefined) !== (b.photoUrl === undefined), { message: 'Give exactly one proof: `pin` or `photoUrl`.' })
  .openapi('DeliveryProof');

const WHO: Record<OrderStep, string> = {
  accept: 'its merchant; from placed (→ preparing). Starts dispatch.',
  reject: 'its merchant; from placed (→ rejected). A captured payment is refunded.',
  ready: 'its merchant; from preparing (→ ready).',
  arrived: 'its assigned driver; while preparing or ready (status unchanged, recorded in the history).',
  pickup: 'its assigned driver; from ready (→ in_delivery).',
  deliver: 'its assigned driver; from in_delivery (→ delivered), with proof: the customer’s PIN or a photo uploaded with POST /v1/orders/{id}/proof-photos (its `url` as `photoUrl`), plus an ID check for prescription orders. After 5 wrong PINs for one order within an hour the PIN is refused with 429 and Retry-After (a photo still works).',
  fail: 'its assigned driver; from in_delivery (→ failed).',
  cancel: 'its customer before preparing, its merchant before in_delivery (→ cancelled). A captured payment is refunded; an unpaid one is cancelled at Stripe.',
  paid: '',
  payment_canceled: '',
};

const stepDescription = (step: OrderStep) =>
  `Who may call: ${WHO[step]} Other parties to the order: 403; anyone else: 404; not allowed in the current status: 409 with currentStatus.`;

const stepResponses = {
  200: { description: 'The order after the step', content: { 'application/json': { schema: OrderSchema } } },
  ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
};

const common = (step: OrderStep) => ({
  method: 'post' as const,
  path: `/v1/orders/{id}/${step}`,
  tags: ['Orders'],
  summary: `Order step: ${step}`,
  description: stepDescription(step),
  middleware: [requireAuth('customer', 'merchant', 'driver')],
  responses: stepResponses,
});

const plainStep = (step: OrderStep) => createRoute({ ...common(step), request: { params: OrderIdParam } });

const reasonStep = (step: OrderStep) =>
  createRoute({ ...common(step), request: { params: OrderIdParam, body: { required: false, content: { 'application/json': { schema: ReasonBody } } } } });

const deliverStep = createRoute({
  ...common('deliver'),
  responses: { ...stepResponses, ...problemResponses(429) },
  request: { params: OrderIdParam, body: { required: true, content: { 'application/json': { schema: DeliverBody } } } },
});

const FOREIGN_PHOTO = { path: 'json.photoUrl', message: 'Upload the photo with POST /v1/orders/{id}/proof-photos and send the url it answered.' };

/**
 * One try of a delivery PIN for an order, counted before the code is
 * compared (so parallel guesses are counted too): refused with 429 once the
 * order has had `RULES.deliveryPinFailuresPerOrder` wrong codes in the
 * window. A try that was not a wrong code (right code, or another refusal)
 * gives its slot back.
 */
async function pinTry(c: Context<AppEnv>, orderId: string): Promise<{ giveBack(): Promise<void> }> {
  const subject = await subjectName('order', orderId);
  const rule = RULES.deliveryPinFailuresPerOrder;
  const limiter = limiterOf(c);
  const unavailable = 'Delivery codes cannot be checked right now; try again shortly, or deliver with a photo.';
  const [slot] = await withLimiter(() => limiter.apply(subject, [{ bucket: 'delivery_pin', rule, op: 'consume' }]), unavailable);
  if (!slot?.allowed) {
    throw problems.rateLimited(slot?.retryAfterSeconds ?? rule.windowSeconds, 'Too many wrong codes for this order. Deliver with a photo of the handover, or try the code again later.');
  }
  return { giveBack: () => withLimiter(() => limiter.apply(subject, [{ bucket: 'delivery_pin', rule, op: 'refund' }]), unavailable).then(() => undefined) };
}

interface StepOptions {
  reason?: string | undefined;
  deliver?: z.infer<typeof DeliverBody>;
}

async function takeStep(c: Context<AppEnv>, step: OrderStep, options: StepOptions = {}): Promise<Response> {
  const principal = principalOf(c);
  const id = c.req.param('id')!;
  const db = c.var.db();
  const { detail, relation } = await visibleOrder(db, principal, id);
  if (relation.viewer === 'merchant') assertMerchantAccess(principal, detail.order.merchantId, 'orders');
  const proof = options.deliver;
  const endsEarly = step === 'cancel' || step === 'reject';
  const pin = proof?.pin !== undefined && relation.actor.kind === 'driver' ? await pinTry(c, id) : null;
  let wrongPin = false;

  const result = await runOrderStep<Settlement>(db, id, step, relation.actor, eventActorOf(principal), {
    reason: options.reason ?? null,
    check: (order) => {
      if (!proof) return;
      if (proof.pin !== undefined && proof.pin !== order.deliveryPin) {
        wrongPin = true;
        throw problems.validation([{ path: 'json.pin', message: 'The code does not match the one the customer was sent.' }]);
      }
      if (proof.photoUrl !== undefined && !issuedPhotoId(c.env.PUBLIC_BASE_URL, order.id, proof.photoUrl)) throw problems.validation([FOREIGN_PHOTO]);
      if (order.requiresPrescription && !proof.idCheck) throw problems.validation([{ path: 'json.idCheck', message: 'This order contains a prescription product: check the recipient’s ID.' }]);
    },
    extra: async (tx, order) => {
      if (proof?.photoUrl !== undefined) {
        const photoId = issuedPhotoId(c.env.PUBLIC_BASE_URL, order.id, proof.photoUrl);
        const [photo] = photoId ? await tx.select({ id: proofPhotos.id }).from(proofPhotos).where(and(eq(proofPhotos.id, photoId), eq(proofPhotos.orderId, order.id))) : [];
        if (!photo) throw problems.validation([FOREIGN_PHOTO]);
      }
      if (proof) {
        await tx.insert(deliveryProofs).values({
          orderId: order.id,
          driverId: order.driverId,
          method: proof.pin !== undefined ? 'pin' : 'photo',
          photoUrl: proof.photoUrl ?? null,
          idDocumentType: proof.idCheck?.documentType ?? null,
          idBirthYear: proof.idCheck?.birthYear ?? null,
        });
      }
      return endsEarly ? planSettlement(tx, order.id, step === 'reject' ? 'merchant_rejected' : 'requested_by_customer') : { kind: 'none' };
    },
  }).catch(async (error: unknown) => {
    // Only a wrong code keeps its slot: a refusal for another reason gives it back.
    if (pin && !wrongPin) await pin.giveBack();
    throw error;
  });

  afterOrderCommit(c.env, c.executionCtx, result.order.merchantId, result.events, result.order);
  if (step === 'accept') {
    const o = result.order;
    c.executionCtx.waitUntil(
      startDispatch(c.env, { id: o.id, cityId: o.cityId, merchantId: o.merchantId, pickup: { lat: o.pickupLat, lng: o.pickupLng }, dropoff: { lat: o.dropoffLat, lng: o.dropoffLng }, requiresPrescription: o.requiresPrescription }).catch(
        (error: unknown) => console.error(JSON.stringify({ msg: 'startDispatch failed (order.preparing in the outbox is the backstop)', orderId: o.id, error: String(error) })),
      ),
    );
  }
  if (result.extra && result.extra.kind !== 'none') {
    // The order is ended whatever the provider says; a failed refund stays pending and the cron asks again.
    try {
      await settle(db, paymentProvider(c.env), result.extra);
    } catch (error) {
      console.warn(JSON.stringify({ msg: 'payment settlement deferred', orderId: id, error: String(error) }));
    }
  }
  const after = await loadOrderDetail(db, id);
  return c.json(orderView(after!, relation.viewer, c.env.PUBLIC_BASE_URL), 200);
}

// takeStep returns a plain Response built with c.json; `as never` bridges it to the typed handler.
export const orderStepRoutes = createRouter()
  .openapi(plainStep('accept'), async (c) => (await takeStep(c, 'accept')) as never)
  .openapi(reasonStep('reject'), async (c) => (await takeStep(c, 'reject', { reason: c.req.valid('json')?.reason })) as never)
  .openapi(plainStep('ready'), async (c) => (await takeStep(c, 'ready')) as never)
  .openapi(plainStep('arrived'), async (c) => (await takeStep(c, 'arrived')) as never)
  .openapi(plainStep('pickup'), async (c) => (await takeStep(c, 'pickup')) as never)
  .openapi(deliverStep, async (c) => (await takeStep(c, 'deliver', { deliver: c.req.valid('json') })) as never)
  .openapi(reasonStep('fail'), async (c) => (await takeStep(c, 'fail', { reason: c.req.valid('json')?.reason })) as never)
  .openapi(reasonStep('cancel'), async (c) => (await takeStep(c, 'cancel', { reason: c.req.valid('json')?.reason })) as never);
