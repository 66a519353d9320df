import { z } from '@hono/zod-openapi';
import { Text } from './text';

export const LatLngSchema = z
  .object({
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
  })
  .openapi('LatLng');

export const CitySchema = z
  .object({
    id: z.string().openapi({ example: 'cty_0PARIS000000000000000' }),
    name: z.string(),
    center: LatLngSchema,
    currency: z.string().length(3).openapi({ example: 'EUR' }),
    timezone: z.string().openapi({ example: 'Europe/Paris' }),
  })
  .openapi('City');

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: Text.max(200).optional(),
};
