import { z } from '@hono/zod-openapi';
import { DISPATCH_STATES, ORDER_STATUSES } from '../../domain/order';
import { IDEMPOTENCY_KEY_PATTERN } from '../services/idempotency';
import { LatLngSchema } from './common';
import { IdText, MultilineText, Text } from './text';

export const ORDER_STATUS_VALUES = ORDER_STATUSES;
export const DISPATCH_VALUES = DISPATCH_STATES;

export const OrderIdParam = z.object({
  id: IdText.openapi({ param: { name: 'id', in: 'path' }, example: 'ord_0h3k9x2m4p6r8t0v2x4z' }),
});

/** E.164-ish: a plus, then 6 to 15 digits; spaces allowed while typing. */
const Phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9 ]{6,20}$/, 'A phone number in international format, e.g. +33612345678.');

export const NewOrderSchema = z
  .object({
    merchantId: IdText,
    items: z
      .array(
        z
          .object({
            productId: IdText,
            quantity: z.number().int().min(1).max(99),
          })
          .strict(),
      )
      .min(1)
      .max(50),
    dropoff: z
      .object({
        address: Text.trim().min(1).max(300),
        location: LatLngSchema,
        instructions: MultilineText.trim().max(500).optional(),
      })
      .strict(),
    customer: z
      .object({ name: Text.trim().min(1).max(120), phone: Phone, email: z.email().max(254).optional() })
      .strict()
      .optional()
      .openapi({ description: 'Merchants (API key) only: who the order is for.' }),
    paid: z.boolean().optional().openapi({ description: 'Merchants (API key) only: true when paid off-platform; the order is placed at once.' }),
    scheduledFor: z
      .object({
        start: z.iso.datetime({ offset: true }).openapi({ description: 'When the delivery window opens.', example: '2026-12-05T18:00:00Z' }),
        end: z.iso.datetime({ offset: true }).openapi({ description: 'When it closes.', example: '2026-12-05T18:30:00Z' }),
      })
      .strict()
      .optional()
      .openapi({
        description:
          'A later delivery window instead of as soon as possible (customers and merchant API keys). It starts at least 30 minutes and at least the shop’s prep time + 15 minutes from now, at most 7 days ahead, and lasts 15–120 minutes; otherwise 422. ' +
          'The order is paid and placed as today, then held: the merchant may accept it from `releaseAt` (window start − prep time), when the platform releases it.',
      }),
  })
  .strict()
  .openapi('NewOrder');

/** A scheduled order's window and where it stands (ADR 0108). */
export const ScheduledForSchema = z
  .object({
    start: z.string().openapi({ format: 'date-time' }),
    end: z.string().openapi({ format: 'date-time' }),
    releaseAt: z.string().openapi({ format: 'date-time', description: 'When the order goes to the merchant: window start − the shop’s prep time (fixed at order time).' }),
    releasedAt: z.string().nullable().openapi({ format: 'date-time', description: 'When it was released (`order.released` event); null while held.' }),
  })
  .openapi('ScheduledFor');

export const OrderSchema = z
  .object({
    id: z.string(),
    number: z.string().openapi({ description: 'The short human order number (no look-alike characters), shown as `#` + number in every app, SMS, email, push and webhook.', example: 'K7QX4MR' }),
    seq: z.number().int().min(1).openapi({ description: 'The seq of the order’s latest event (GET /v1/orders/{id}/events): a client keeps the highest seq it has seen and ignores anything lower.' }),
    status: z.enum(ORDER_STATUS_VALUES),
    dispatch: z.enum(DISPATCH_VALUES),
    merchantId: z.string(),
    cityId: z.string(),
    source: z.enum(['customer', 'merchant_api']),
    items: z.array(
      z.object({
        productId: z.string().nullable(),
        name: z.string(),
        quantity: z.number().int(),
        unitPriceCents: z.number().int(),
        lineTotalCents: z.number().int(),
        requiresPrescription: z.boolean(),
      }),
    ),
    totals: z.object({
      subtotalCents: z.number().int(),
      deliveryFeeCents: z.number().int(),
      taxCents: z.number().int(),
      totalCents: z.number().int(),
      currency: z.string().length(3),
    }),
    distanceM: z.number().int(),
    pickup: z.object({ location: LatLngSchema }),
    dropoff: z.object({ address: z.string().nullable(), location: LatLngSchema, instructions: z.string().optional() }),
    customer: z.object({ name: z.string().nullable(), phone: z.string().nullable(), email: z.string().optional() }).nullable(),
    driver: z.object({ id: z.string(), name: z.string().nullable(), vehicle: z.string() }).optional(),
    deliveryPin: z.string().optional().openapi({ description: 'Shown to the order’s customer only, once the order is placed.' }),
    deliveryProof: z
      .object({ method: z.enum(['pin', 'photo']), photoUrl: z.string().nullable(), at: z.string().openapi({ format: 'date-time' }) })
      .optional()
      .openapi({ description: 'Once delivered: how the handover was proven; a photo is fetched from its URL with the caller’s credentials.' }),
    trackingUrl: z.string(),
    paidOffPlatform: z.boolean(),
    requiresPrescription: z.boolean(),
    cancelReason: z.string().optional().openapi({ description: 'Why it ended: the words of whoever cancelled, rejected or failed it, or `merchant_unresponsive` when the platform cancelled an order its merchant never accepted.' }),
    refund: z
      .object({
        status: z.enum(['pending', 'succeeded', 'failed']),
        amountCents: z.number().int(),
        currency: z.string().length(3),
        updatedAt: z.string().openapi({ format: 'date-time' }),
      })
      .optional()
      .openapi({ description: 'An order that ended before delivery and had been paid: the money given back, summed over its refunds (`pending` while the provider has not confirmed one, `failed` when none went through). Shown to the customer and the merchant, not to the driver.' }),
    payoutCents: z.number().int().optional().openapi({ description: 'The driver’s view only, once assigned: what the driver is paid for this order — the amount its offer showed, committed with the assignment.' }),
    createdAt: z.string().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
    placedAt: z.string().nullable().openapi({ format: 'date-time' }),
    deliveredAt: z.string().nullable().openapi({ format: 'date-time' }),
    scheduledFor: ScheduledForSchema.optional().openapi({ description: 'Scheduled orders only: the delivery window. Held (status `placed`, the merchant cannot accept yet) until `releasedAt` is set.' }),
  })
  .openapi('Order');

export const CreatedOrderSchema = z
  .object({
    order: OrderSchema,
    payment: z
      .object({
        clientSecret: z.string().openapi({ description: 'Confirm the PaymentIntent with it (Stripe.js).' }),
        apiBase: z.string().optional().openapi({ description: 'Local mode only: where to confirm (the Stripe fake), since Stripe.js cannot load offline.' }),
        publishableKey: z.string().optional().openapi({ description: 'Stripe’s publishable key to mount the Payment Element with (local mode: the key the fake accepts).' }),
      })
      .optional(),
  })
  .openapi('CreatedOrder');

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN, '1 to 255 printable ASCII characters')
    .openapi({ param: { name: 'idempotency-key', in: 'header' }, description: 'Required. The same key and body return the first answer; another body is a 409.' }),
});

export const OptionalIdempotencyHeaders = z.object({
  'idempotency-key': IdempotencyHeaders.shape['idempotency-key'].optional(),
});
