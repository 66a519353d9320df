import { z } from '@hono/zod-openapi';
import { LatLngSchema } from './common';
import { IdText, MultilineText, Text } from './text';

export const MERCHANT_KINDS = ['restaurant', 'store', 'pharmacy'] as const;

/** Highest product price accepted: orders must stay within Stripe's eight digits. */
export const MAX_PRICE_CENTS = 9_999_999;

export const MerchantIdParam = z.object({
  id: IdText.openapi({ param: { name: 'id', in: 'path' }, example: 'mer_0h3k9x2m4p6r8t0v2x4z' }),
});

export const ProductParams = MerchantIdParam.extend({
  productId: IdText.openapi({ param: { name: 'productId', in: 'path' }, example: 'prd_0h3k9x2m4p6r8t0v2x4z' }),
});

export const MerchantSchema = z
  .object({
    id: z.string(),
    cityId: z.string(),
    name: z.string(),
    kind: z.enum(MERCHANT_KINDS),
    address: z.string(),
    location: LatLngSchema,
    open: z.boolean().openapi({ description: 'Set by the merchant.' }),
    suspended: z.boolean().openapi({ description: 'Set by operators; a suspended merchant takes no orders.' }),
    acceptingOrders: z.boolean().openapi({ description: 'open and not suspended.' }),
    prepMinutes: z.number().int(),
  })
  .openapi('Merchant');

export const MerchantPatchSchema = z
  .object({
    name: Text.trim().min(1).max(120).optional(),
    open: z.boolean().optional(),
    address: Text.trim().min(1).max(300).optional(),
    location: LatLngSchema.optional(),
    suspended: z.boolean().optional().openapi({ description: 'Operators only.' }),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'Give at least one field to change.' })
  .openapi('MerchantPatch');

export const ProductSchema = z
  .object({
    id: z.string(),
    merchantId: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    priceCents: z.number().int().openapi({ description: 'Integer minor units of `currency`.', example: 950 }),
    currency: z.string().length(3),
    available: z.boolean(),
    requiresPrescription: z.boolean(),
    createdAt: z.string().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Product');

const productFields = {
  name: Text.trim().min(1).max(120),
  description: MultilineText.trim().max(1000).nullable().optional(),
  priceCents: z.number().int().min(0).max(MAX_PRICE_CENTS).openapi({ description: 'Integer minor units (e.g. 950 = 9.50 EUR). No floats.' }),
  available: z.boolean().optional(),
  requiresPrescription: z.boolean().optional().openapi({ description: 'Pharmacies only: delivery then needs an ID check.' }),
};

export const NewProductSchema = z.object(productFields).strict().openapi('NewProduct');

export const ProductPatchSchema = z
  .object({
    name: productFields.name.optional(),
    description: productFields.description,
    priceCents: productFields.priceCents.optional(),
    available: productFields.available,
    requiresPrescription: productFields.requiresPrescription,
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'Give at least one field to change.' })
  .openapi('ProductPatch');

export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
