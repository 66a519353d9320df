/**
 * The live channels' wire protocol, version 1: every WebSocket message of
 * docs/api.md "Drivers and live channels", validated on the way in. Shared by the
 * CityShard, the web apps and the simulator, so it imports nothing but zod
 * (no runtime types). A message may carry `v`; absent means 1, any other
 * value is refused with `unsupported_version`. See docs/decisions/0034.
 */
import { z } from 'zod';
import { regexes } from 'zod/v4/core';
import { DISPATCH_STATES, ORDER_STATUSES } from '../order';
import { forbiddenCharacter } from '../text';

export const PROTOCOL_VERSION = 1;
/** Largest frame a client may send; larger closes the socket with 1009. */
export const MAX_FRAME_BYTES = 16 * 1024;
/** Points in one `locations` frame or one POST /v1/drivers/me/locations body. */
export const MAX_POINTS_PER_BATCH = 100;
/** Exact frames the runtime answers itself, without waking the object. */
export const PING_FRAME = '{"type":"ping"}';
export const PONG_FRAME = '{"type":"pong"}';

/** WebSocket close codes the shard uses. */
export const CLOSE = {
  normal: 1000,
  policy: 1008,
  tooBig: 1009,
  /** Another connection of the same driver took over. */
  replaced: 4001,
} as const;

const version = z.literal(PROTOCOL_VERSION).optional();
/** Text from a client: the platform's character rule (domain/text.ts, ADR 0084), as at the API's edge. */
const clientText = z.string().refine((s) => forbiddenCharacter(s) === null, { error: 'contains a character that is not allowed (control characters, lone surrogates and noncharacters are refused)' });
const isoTime = z.iso.datetime({ offset: true });
const latLng = z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) });

export const LocationPointSchema = z.object({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  /** Degrees clockwise from north. */
  heading: z.number().min(0).max(360).optional(),
  /** Metres per second. */
  speed: z.number().min(0).max(100).optional(),
  /** Metres (GPS horizontal accuracy). */
  accuracy: z.number().min(0).max(100_000).optional(),
  at: isoTime,
});
export type LocationPoint = z.infer<typeof LocationPointSchema>;

// ---- driver → server -------------------------------------------------------

export const DriverMessageSchema = z.discriminatedUnion('type', [
  LocationPointSchema.extend({ type: z.literal('location'), v: version }),
  /** Extension of the contract: several points in one frame, oldest first (fewer frames under load). */
  z.object({ type: z.literal('locations'), v: version, points: z.array(LocationPointSchema).min(1).max(MAX_POINTS_PER_BATCH) }),
  z.object({ type: z.literal('availability'), v: version, available: z.boolean() }),
  z.object({ type: z.literal('offer.accept'), v: version, offerId: clientText.min(1).max(64) }),
  z.object({ type: z.literal('offer.decline'), v: version, offerId: clientText.min(1).max(64), reason: clientText.max(200).optional() }),
  /** A ping that is not byte-for-byte PING_FRAME reaches the object and is answered there. */
  z.object({ type: z.literal('ping'), v: version }),
]);
export type DriverMessage = z.infer<typeof DriverMessageSchema>;

// ---- watcher → server (order channels are read-only) ----------------------

export const WatcherMessageSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('ping'), v: version })]);
export type WatcherMessage = z.infer<typeof WatcherMessageSchema>;

// ---- server → driver -------------------------------------------------------

export const OfferMessageSchema = z.object({
  type: z.literal('offer'),
  offerId: z.string(),
  orderId: z.string(),
  pickup: latLng,
  dropoff: latLng,
  payoutCents: z.number().int().nonnegative(),
  expiresAt: isoTime,
  /** Where to pick up, as the driver reads it (absent in offers of orders dispatched before it existed). */
  shop: z.object({ name: z.string(), address: z.string() }).optional(),
  /** A scheduled order (ADR 0108): the customer's delivery window; the food is ready about its start. */
  scheduledFor: z.object({ start: isoTime, end: isoTime }).optional(),
  /**
   * A stacked offer (ADR 0105): this order on top of the one the driver
   * carries (`with`), the route through both (pickups before dropoffs), and
   * the pay of both as they are credited. Absent: a single order.
   */
  batch: z
    .object({
      withOrderId: z.string(),
      stops: z.array(z.object({ orderId: z.string(), kind: z.enum(['pickup', 'dropoff']) })).max(4),
      totalPayoutCents: z.number().int().nonnegative(),
      with: z
        .object({
          orderId: z.string(),
          pickup: latLng,
          dropoff: latLng,
          payoutCents: z.number().int().nonnegative(),
          pickedUp: z.boolean(),
          shop: z.object({ name: z.string(), address: z.string() }).optional(),
        })
        .optional(),
    })
    .optional(),
});
export type OfferMessage = z.infer<typeof OfferMessageSchema>;

export const DriverStatusSchema = z.enum(['offline', 'online', 'available', 'busy']);
export type DriverStatus = z.infer<typeof DriverStatusSchema>;

export const ErrorMessageSchema = z.object({ type: z.literal('error'), code: z.string(), detail: z.string() });
export type ErrorMessage = z.infer<typeof ErrorMessageSchema>;

/**
 * Extension (ADR 0113): a new message in one of the order's threads. No body: the
 * order channel is also open to parties of the other thread (and the merchant);
 * each client reads what it may with GET /v1/orders/{id}/messages.
 */
export const ChatNudgeSchema = z.object({
  type: z.literal('chat'),
  orderId: z.string(),
  thread: z.enum(['customer_driver', 'merchant_driver']),
  messageId: z.string(),
  senderRole: z.enum(['customer', 'merchant', 'driver']),
  at: isoTime,
});
export type ChatNudge = z.infer<typeof ChatNudgeSchema>;

export const ServerToDriverSchema = z.discriminatedUnion('type', [
  /** Extension: sent on every (re)connect, so a client resumes where it was. */
  z.object({
    type: z.literal('session'),
    v: z.literal(PROTOCOL_VERSION),
    driverId: z.string(),
    status: DriverStatusSchema,
    available: z.boolean(),
    orderId: z.string().nullable(),
    /**
     * Extension (ADR 0105): the order stacked on `orderId` and the route
     * through both; null: none. Absent from shards older than it.
     */
    stacked: z
      .object({ orderId: z.string(), stops: z.array(z.object({ orderId: z.string(), kind: z.enum(['pickup', 'dropoff']) })).max(4) })
      .nullable()
      .optional(),
  }),
  OfferMessageSchema,
  z.object({ type: z.literal('offer.expired'), offerId: z.string() }),
  z.object({ type: z.literal('assignment'), orderId: z.string() }),
  z.object({ type: z.literal('assignment.cancelled'), orderId: z.string() }),
  /**
   * Extension (ADR 0079): nothing heard from the driver (no fix, message or step) for `silentSeconds`.
   * Any message answers it (`{"type":"ping","v":1}` will do; the bare ping frame is answered by the
   * runtime and does not count). `releaseAt`: when the order goes to another driver if the silence
   * goes on; null once picked up (then operators are alerted instead).
   */
  z.object({ type: z.literal('assignment.ping'), orderId: z.string(), silentSeconds: z.number().int().nonnegative(), releaseAt: isoTime.nullable() }),
  /** Extension (ADR 0079): the order was given to another driver after a silence; sent live, or after `session` on the next connect. */
  z.object({ type: z.literal('assignment.released'), orderId: z.string(), reason: z.enum(['driver_unresponsive']), silentSeconds: z.number().int().nonnegative() }),
  /** Extension (ADR 0112): an operator gave the order to another driver; the app drops it. */
  z.object({ type: z.literal('assignment.reassigned'), orderId: z.string() }),
  /** Extension (ADR 0112): a message from operations, shown to the driver as it arrives (not stored). */
  z.object({ type: z.literal('ops.message'), text: z.string(), at: isoTime }),
  ChatNudgeSchema,
  /** Extension: the outcome of a location frame that was not fully applied. */
  z.object({ type: z.literal('location.rejected'), at: z.string(), reason: z.enum(['duplicate', 'out_of_order', 'implausible_jump', 'future', 'inaccurate']) }),
  z.object({ type: z.literal('pong') }),
  ErrorMessageSchema,
]);
export type ServerToDriver = z.infer<typeof ServerToDriverSchema>;

// ---- server → watchers (order / merchant channels) ------------------------

export const OrderStatusSchema = z.enum(ORDER_STATUSES);
export const DispatchStateSchema = z.enum(DISPATCH_STATES);
export type OrderStatus = z.infer<typeof OrderStatusSchema>;
export type DispatchState = z.infer<typeof DispatchStateSchema>;

export const ServerToWatcherSchema = z.discriminatedUnion('type', [
  /** `seq`: the order event's seq in Postgres (docs/api.md v1.1); a client ignores a frame with a seq lower than one it has. */
  z.object({ type: z.literal('status'), orderId: z.string(), status: OrderStatusSchema, dispatch: DispatchStateSchema, at: isoTime, seq: z.number().int().min(1).optional() }),
  z.object({ type: z.literal('location'), orderId: z.string(), lat: z.number(), lng: z.number(), heading: z.number().optional(), at: isoTime }),
  /**
   * `seconds` to the dropoff (via the pickup until picked up). Optional, v1-compatible (ADR 0076): `at`, the time the
   * seconds hold (clients count down from it); `pickupSeconds`, to the pickup while the driver is on the way there.
   */
  z.object({ type: z.literal('eta'), orderId: z.string(), seconds: z.number().int().nonnegative(), pickupSeconds: z.number().int().nonnegative().optional(), at: isoTime.optional() }),
  ChatNudgeSchema,
  z.object({ type: z.literal('pong') }),
  ErrorMessageSchema,
]);
export type ServerToWatcher = z.infer<typeof ServerToWatcherSchema>;

// ---- parsing ---------------------------------------------------------------

export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: ErrorMessage };

const fail = (code: string, detail: string): { ok: false; error: ErrorMessage } => ({ ok: false, error: { type: 'error', code, detail } });

function parseWith<T>(schema: z.ZodType<T>, text: string): ParseResult<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return fail('malformed_json', 'The frame is not valid JSON.');
  }
  return validate(schema, raw);
}

function validate<T>(schema: z.ZodType<T>, raw: unknown): ParseResult<T> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('invalid_message', 'A message is a JSON object with a "type".');
  const v = (raw as { v?: unknown }).v;
  if (v !== undefined && v !== PROTOCOL_VERSION) return fail('unsupported_version', `This server speaks protocol version ${PROTOCOL_VERSION}.`);
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, message: result.data };
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join('.') : 'type';
  return fail('invalid_message', `${path}: ${issue?.message ?? 'invalid'}`);
}

// ---- the hot path --------------------------------------------------------
// Location frames are most of the traffic. This check accepts only what
// DriverMessageSchema accepts, with the same output (test/unit/shard-protocol
// proves it on generated frames); anything it is unsure of goes to zod, which
// also writes the error details. It makes ingest about twice as fast, and
// matters most in workerd, where zod cannot compile its fast path.

/** zod's own pattern for `z.iso.datetime({ offset: true })`. */
const AT_PATTERN = regexes.datetime({ offset: true, precision: null, local: false });
const POINT_KEYS: ReadonlySet<string> = new Set(['lat', 'lng', 'heading', 'speed', 'accuracy', 'at']);
const LOCATION_KEYS: ReadonlySet<string> = new Set([...POINT_KEYS, 'type', 'v']);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
};
const two = (s: string, i: number): number => {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
};

/**
 * Milliseconds of a fix time, or NaN when it is not one `z.iso.datetime({ offset: true })`
 * accepts. The common UTC form `YYYY-MM-DDTHH:MM:SS[.fff…]Z` is read by hand
 * (Date.parse and zod's pattern cost several times more on the hot path);
 * other forms (offsets) go through zod's pattern and Date.parse.
 */
export function parseFixTime(s: string): number {
  const n = s.length;
  if (n >= 20 && s.charCodeAt(n - 1) === 90 /* Z */ && s[4] === '-' && s[7] === '-' && s[10] === 'T' && s[13] === ':' && s[16] === ':') {
    const y = two(s, 0) * 100 + two(s, 2);
    const mo = two(s, 5);
    const d = two(s, 8);
    const h = two(s, 11);
    const mi = two(s, 14);
    const se = two(s, 17);
    if (two(s, 0) < 0 || two(s, 2) < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59) return Number.NaN;
    const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    if (d > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!)) return Number.NaN;
    let ms = 0;
    if (n > 20) {
      // A fraction: "." and at least one digit, all digits; milliseconds are its first three.
      if (s[19] !== '.' || n === 21) return Number.NaN;
      for (let i = 20; i < n - 1; i++) {
        const c = digit(s, i);
        if (c < 0) return Number.NaN;
        if (i < 23) ms += c * (i === 20 ? 100 : i === 21 ? 10 : 1);
      }
    }
    const t = Date.UTC(y, mo - 1, d, h, mi, se, ms);
    // Date.UTC maps years 0–99 to 1900–1999; such fixes are refused anyway, but keep the value exact.
    return y < 100 ? new Date(t).setUTCFullYear(y) : t;
  }
  return AT_PATTERN.test(s) ? Date.parse(s) : Number.NaN;
}

const inRange = (x: unknown, min: number, max: number): boolean => typeof x === 'number' && x >= min && x <= max;
const optionalInRange = (x: unknown, min: number, max: number): boolean => x === undefined || inRange(x, min, max);

function isPoint(p: Record<string, unknown>, keys: ReadonlySet<string>): boolean {
  for (const k in p) if (!keys.has(k)) return false;
  return (
    inRange(p.lat, -90, 90) &&
    inRange(p.lng, -180, 180) &&
    optionalInRange(p.heading, 0, 360) &&
    optionalInRange(p.speed, 0, 100) &&
    optionalInRange(p.accuracy, 0, 100_000) &&
    typeof p.at === 'string' &&
    !Number.isNaN(parseFixTime(p.at))
  );
}

/** The parsed message when it is a plainly valid location / locations frame; null to let zod decide. */
export function fastLocation(raw: Record<string, unknown>): DriverMessage | null {
  if (raw.v !== undefined && raw.v !== PROTOCOL_VERSION) return null;
  if (raw.type === 'location') return isPoint(raw, LOCATION_KEYS) ? (raw as DriverMessage) : null;
  if (raw.type !== 'locations') return null;
  const points = raw.points;
  if (!Array.isArray(points) || points.length < 1 || points.length > MAX_POINTS_PER_BATCH) return null;
  for (const k in raw) if (k !== 'type' && k !== 'v' && k !== 'points') return null;
  for (const p of points) if (typeof p !== 'object' || p === null || Array.isArray(p) || !isPoint(p as Record<string, unknown>, POINT_KEYS)) return null;
  return raw as DriverMessage;
}

export function parseDriverMessage(text: string): ParseResult<DriverMessage> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return fail('malformed_json', 'The frame is not valid JSON.');
  }
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const fast = fastLocation(raw as Record<string, unknown>);
    if (fast) return { ok: true, message: fast };
  }
  return validate(DriverMessageSchema, raw);
}
export const parseWatcherMessage = (text: string): ParseResult<WatcherMessage> => parseWith(WatcherMessageSchema, text);

/** For exhaustive `switch (message.type)`: a new message type fails to compile until handled. */
export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}

/** UTF-8 size of a frame without encoding it unless it could be over the limit. */
export function frameTooLarge(message: string | ArrayBuffer, limit = MAX_FRAME_BYTES): boolean {
  if (typeof message !== 'string') return message.byteLength > limit;
  if (message.length * 3 <= limit) return false;
  if (message.length > limit) return true;
  return new TextEncoder().encode(message).byteLength > limit;
}
