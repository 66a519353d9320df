/**
 * Service zones, the delivery fee schedule (ADR 0110) and opening hours
 * (ADR 0111) as the API reads and writes them. The shapes are domain/'s
 * (domain/zones/service-area.ts, domain/opening-hours.ts); what zod cannot
 * say (closed rings, unique zone ids, one exception per date, a known time
 * zone) is refined here with the domain's own checks.
 */
import { z } from '@hono/zod-openapi';
import { isClockTime, isTimeZone, openingHoursProblem, WEEKDAYS } from '../../domain/opening-hours';
import { ringProblem } from '../../domain/zones/geometry';
import { ZONE_KINDS } from '../../domain/zones/service-area';
import { Text } from './text';

const Position = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]).openapi({ description: '[longitude, latitude] (RFC 7946).' });
const LinearRing = z
  .array(Position)
  .min(4)
  .max(2000)
  .superRefine((ring, ctx) => {
    const problem = ringProblem(ring);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const PolygonCoordinates = z.array(LinearRing).min(1).max(50).openapi({ description: 'The outer ring, then any holes.' });

const ZoneGeometrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Polygon'), coordinates: PolygonCoordinates }),
  z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(PolygonCoordinates).min(1).max(50) }),
]);

const MinorUnits = z.number().int().min(0).max(100_000);

export const ZoneFeatureSchema = z
  .object({
    type: z.literal('Feature'),
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/).openapi({ example: 'centre', description: 'Lower-case letters, digits, - and _; unique in the city.' }),
    properties: z
      .object({
        name: Text.trim().min(1).max(80),
        kind: z.enum(ZONE_KINDS).openapi({ description: '`delivery`: delivered to; `pickup_only`: collected at the shop, never delivered; `no_go`: never delivered to, whatever zone covers it too.' }),
        feeCents: MinorUnits.optional().openapi({ description: 'The delivery fee into this zone when the schedule is `zone`.' }),
      })
      .strict(),
    geometry: ZoneGeometrySchema,
  })
  .strict()
  .openapi('ZoneFeature');

export const ServiceZonesSchema = z
  .object({ type: z.literal('FeatureCollection'), features: z.array(ZoneFeatureSchema).max(200) })
  .superRefine((fc, ctx) => {
    const seen = new Set<string>();
    fc.features.forEach((f, i) => {
      if (seen.has(f.id)) ctx.addIssue({ code: 'custom', path: ['features', i, 'id'], message: `zone id "${f.id}" is used twice` });
      seen.add(f.id);
    });
  })
  .openapi('ServiceZones', { description: 'A GeoJSON FeatureCollection of the city’s zones.' });

export const FeeScheduleSchema = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('distance'),
      bands: z.array(z.object({ upToM: z.number().int().min(1).max(200_000), feeCents: MinorUnits }).strict()).min(1).max(20),
    }).strict(),
    z.object({ type: z.literal('zone'), defaultFeeCents: MinorUnits }).strict(),
  ])
  .openapi('FeeSchedule', {
    description: '`distance`: the first band (by `upToM`) that reaches the straight-line distance from the shop; past the last band nothing is delivered. `zone`: the drop-off zone’s `feeCents`, else `defaultFeeCents`.',
  });

export const CityZonesSchema = z
  .object({
    cityId: z.string(),
    zones: ServiceZonesSchema.nullable().openapi({ description: 'Null: the city serves the circle of its service radius.' }),
    feeSchedule: FeeScheduleSchema.nullable().openapi({ description: 'Null: the city’s base fee plus its rate per started kilometre.' }),
    serviceRadiusKm: z.number(),
  })
  .openapi('CityZones');

export const CityZonesPutSchema = z
  .object({ zones: ServiceZonesSchema.nullable(), feeSchedule: FeeScheduleSchema.nullable() })
  .strict()
  .openapi('CityZonesPut');

const ClockTime = z.string().refine(isClockTime, { message: 'HH:MM, 00:00 to 24:00' }).openapi({ example: '11:00' });
const IntervalSchema = z.object({ open: ClockTime, close: ClockTime }).strict();
const DayIntervals = z.array(IntervalSchema).max(6);

export const OpeningHoursSchema = z
  .object({
    weekly: z.object(Object.fromEntries(WEEKDAYS.map((d) => [d, DayIntervals.optional()])) as Record<(typeof WEEKDAYS)[number], z.ZodOptional<typeof DayIntervals>>).strict(),
    exceptions: z
      .array(z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), intervals: z.array(IntervalSchema).max(6), note: Text.max(80).optional() }).strict())
      .max(100)
      .optional(),
  })
  .strict()
  .superRefine((hours, ctx) => {
    const problem = openingHoursProblem(hours);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi('OpeningHours', {
    description:
      'Local wall time of the shop’s time zone. A close at or before its open runs past midnight; "24:00" closes at the end of the day. A day left out or empty is closed. An exception replaces its date’s weekly hours (no intervals: closed that day).',
  });

export const TimeZoneSchema = z.string().max(64).refine(isTimeZone, { message: 'an IANA time zone, e.g. Europe/Paris' }).openapi({ example: 'Europe/Paris' });
