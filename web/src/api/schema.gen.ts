// Generated from the OpenAPI document by `npm run api:types` (scripts/lib/api-types.ts). Do not edit:
// change the server's schemas and run it again (test/unit/api-types.test.ts checks it is current).

/** Each delivery POSTs `{ id, type, createdAt, seq, data: { order } }`. `data.order` is the order exactly as GET /v1/orders/{id} shows it to the merchant, as it was at that event (not when the delivery is sent); `seq` is that event’s seq (also `data.order.seq`). A payment event carries the order as of its latest event when the payment event was first handled, and that seq. Deliveries of one order to one endpoint go out in seq order: a later event waits while an earlier one the endpoint subscribed to is not yet delivered, at most 10 minutes, or until the earlier one is dead. Every attempt of an event sends the same bytes; keep the highest seq seen per order and ignore anything lower. */
export type WebhookEvent = {
  /** The event id, also the Webhook-Id header: the same on every attempt and replay. */
  id: string;
  type: "order.created" | "order.placed" | "order.preparing" | "order.ready" | "order.assigned" | "order.in_delivery" | "order.delivered" | "order.cancelled" | "order.rejected" | "order.failed" | "payment.succeeded" | "payment.failed" | "payment.refunded";
  /** When the event happened. */
  createdAt: string;
  /** The order event’s seq (GET /v1/orders/{id}/events), equal to `data.order.seq`. */
  seq: number;
  data: {
    order: Order;
  };
};

/** The order as GET /v1/orders/{id} shows it to the merchant, as of this event. */
export type Order = {
  id: string;
  /** The short human order number (no look-alike characters), shown as `#` + number in every app, SMS, email, push and webhook. */
  number: string;
  /** The seq of the order’s latest event (GET /v1/orders/{id}/events): a client keeps the highest seq it has seen and ignores anything lower. */
  seq: number;
  status: "pending_payment" | "placed" | "preparing" | "ready" | "in_delivery" | "delivered" | "cancelled" | "rejected" | "failed";
  dispatch: "unassigned" | "offered" | "assigned" | "picked_up" | "dropped_off";
  merchantId: string;
  cityId: string;
  source: "customer" | "merchant_api";
  items: {
    productId: string | null;
    name: string;
    quantity: number;
    unitPriceCents: number;
    lineTotalCents: number;
    requiresPrescription: boolean;
  }[];
  totals: {
    subtotalCents: number;
    deliveryFeeCents: number;
    taxCents: number;
    totalCents: number;
    currency: string;
  };
  distanceM: number;
  pickup: {
    location: LatLng;
  };
  dropoff: {
    address: string | null;
    location: LatLng;
    instructions?: string;
  };
  customer: {
    name: string | null;
    phone: string | null;
    email?: string;
  } | null;
  driver?: {
    id: string;
    name: string | null;
    vehicle: string;
  };
  /** Shown to the order’s customer only, once the order is placed. */
  deliveryPin?: string;
  /** Once delivered: how the handover was proven; a photo is fetched from its URL with the caller’s credentials. */
  deliveryProof?: {
    method: "pin" | "photo";
    photoUrl: string | null;
    at: string;
  };
  trackingUrl: string;
  paidOffPlatform: boolean;
  requiresPrescription: boolean;
  /** Why it ended: the words of whoever cancelled, rejected or failed it, or `merchant_unresponsive` when the platform cancelled an order its merchant never accepted. */
  cancelReason?: string;
  /** An order that ended before delivery and had been paid: the money given back, summed over its refunds (`pending` while the provider has not confirmed one, `failed` when none went through). Shown to the customer and the merchant, not to the driver. */
  refund?: {
    status: "pending" | "succeeded" | "failed";
    amountCents: number;
    currency: string;
    updatedAt: string;
  };
  /** The driver’s view only, once assigned: what the driver is paid for this order — the amount its offer showed, committed with the assignment. */
  payoutCents?: number;
  createdAt: string;
  updatedAt: string;
  placedAt: string | null;
  deliveredAt: string | null;
  scheduledFor?: ScheduledFor;
};

export type LatLng = {
  lat: number;
  lng: number;
};

/** Scheduled orders only: the delivery window. Held (status `placed`, the merchant cannot accept yet) until `releasedAt` is set. */
export type ScheduledFor = {
  start: string;
  end: string;
  /** When the order goes to the merchant: window start − the shop’s prep time (fixed at order time). */
  releaseAt: string;
  /** When it was released (`order.released` event); null while held. */
  releasedAt: string | null;
};

/** An RFC 9457 problem. Members beyond type, title, status, detail and instance appear only with the types named in their descriptions (docs/problems.md). */
export type Problem = {
  /** A stable URI: https://delivery.example.com/problems/ followed by one of `malformed-request` (400), `invalid-signature` (400/403), `unauthorized` (401), `forbidden` (403), `csrf-refused` (403), `wrong-password` (403), `not-found` (404), `illegal-transition` (409), `order-scheduled` (409), `driver-unavailable` (409), `chat-closed` (409), `concurrent-update` (409), `idempotency-key-reused` (409), `idempotency-key-in-use` (409), `email-taken` (409), `no-password` (409), `owner-membership` (409), `already-owner` (409), `merchant-closed` (409), `open-orders` (409), `order-in-progress` (409), `owner-of-business` (409), `order-not-in-delivery` (409), `too-many-photos` (409), `too-many-webhooks` (409), `already-replayed` (409), `body-too-large` (413), `unsupported-media-type` (415), `unsupported-image` (415), `validation-failed` (422), `outside-service-area` (422), `no-go-area` (422), `pickup-only-area` (422), `outside-opening-hours` (422), `upgrade-required` (426), `rate-limited` (429), `internal-error` (500), `payment-provider-error` (502), `dependency-unavailable` (503), `http-error` (405). docs/problems.md says when each is answered and which members it carries. */
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** The request’s id (also the X-Request-Id header), for support. */
  requestId?: string;
  /** Each invalid field (`validation-failed`, `outside-service-area`, `no-go-area`, `pickup-only-area`, `outside-opening-hours`). */
  errors?: {
    path: string;
    message: string;
  }[];
  /** The order’s status when the request was refused (`illegal-transition`, `order-not-in-delivery`). */
  currentStatus?: string;
  /** The order’s dispatch state when the step was refused (`illegal-transition`). */
  currentDispatch?: string;
  /** Why, as a code (`driver-unavailable`, `chat-closed`). */
  reason?: string;
  /** The order that stands in the way (`order-in-progress`). */
  orderId?: string;
  /** The orders that stand in the way (`open-orders`). */
  orderIds?: string[];
  /** How many orders are still open (`open-orders`). */
  openOrders?: number;
  /** The business that stands in the way (`owner-of-business`). */
  merchantId?: string;
  /** The limit reached (`too-many-photos`). */
  limit?: number;
  /** The media types accepted (`unsupported-image`). */
  accepted?: string[];
  /** When the scheduled order is released to its merchant (`order-scheduled`). */
  releaseAt?: string;
  /** The service zone the drop-off lies in (`no-go-area`, `pickup-only-area`). */
  zone?: {
    id: string;
    name: string;
  };
  /** The shop’s next opening, null when none in the next two weeks (`outside-opening-hours`). */
  opensAt?: string | null;
  /** The IANA time zone the shop’s hours are read in (`outside-opening-hours`). */
  timezone?: string;
};

export type City = {
  id: string;
  name: string;
  center: LatLng;
  currency: string;
  timezone: string;
};

export type CityLive = {
  cityId: string;
  /** When the snapshot was taken (ISO 8601). */
  at: string;
  /** The shard keys merged. */
  shards: string[];
  counts: {
    online: number;
    available: number;
    busy: number;
    offline: number;
  };
  drivers: {
    driverId: string;
    status: "online" | "available" | "busy";
    vehicle: "bike" | "scooter" | "car";
    /** Null until the first fix. */
    location: {
      lat: number;
      lng: number;
    } | null;
    heading: number | null;
    updatedAt: string | null;
    orderId: string | null;
    offerId: string | null;
    /** A second order the driver carries, stacked on `orderId` (batching, ADR 0105); absent when none. */
    batchOrderId?: string;
    /** The key of the shard holding the driver: one of `shards` (a city split into cells has several; drivers move between them as they ride, ADR 0122). */
    shard: string;
  }[];
  /** True when some online drivers were left out of `drivers` (5,000 per shard). */
  truncated: boolean;
  openOffers: {
    offerId: string;
    orderId: string;
    driverId: string;
    expiresAt: string;
  }[];
  unassignedOrders: {
    orderId: string;
    since: string;
    pickup: LatLng;
  }[];
  /** Assigned drivers not heard from for the ping time (2 min by default; they were pinged): `silent` before pickup (the order is taken back at `releaseAt`), `silent_after_pickup` (the food is with them: nothing is taken away, reach them); and `released`, orders taken from a silent driver in the last hour (ADR 0079). */
  driverAlerts: {
    orderId: string;
    driverId: string;
    kind: "silent" | "silent_after_pickup" | "released";
    /** When the driver was last heard from (a fix, a message or an order step). */
    silentSince: string;
    /** `silent`: when the order goes to another driver if the silence goes on. */
    releaseAt: string | null;
    /** `released`: when the order was taken from the driver and offered again. */
    releasedAt: string | null;
  }[];
};

export type LocationIngest = {
  /** Fixes applied (newest becomes the driver’s position). */
  accepted: number;
  /** Same time as the position already held: ignored. */
  duplicate: number;
  /** Older than the position already held: ignored. */
  outOfOrder: number;
  /** Faster than 50 m/s from the last position: flagged, not applied. */
  implausibleJump: number;
  /** More than 30 s ahead of the server clock: refused. */
  future: number;
  /** Accuracy worse than 1 km: not applied. */
  inaccurate: number;
};

/** Up to 100 fixes, in any order; `at` is the time of the fix (ISO 8601). */
export type LocationBatch = {
  points: {
    lat: number;
    lng: number;
    heading?: number;
    speed?: number;
    accuracy?: number;
    at: string;
  }[];
};

export type DispatchLog = {
  orderId: string;
  dispatch: "unassigned" | "offered" | "assigned" | "picked_up" | "dropped_off";
  driverId: string | null;
  /** The live log of the city shard (kept a day after the order ends), or the durable copy in Postgres. */
  source: "shard" | "postgres" | "none";
  offers: {
    offerId: string;
    driverId: string | null;
    /** The neighbouring shard that held the driver and placed the offer; null for the order's own shard (absent in the Postgres copy). */
    driverShard?: string | null;
    round: number;
    offeredAt: string;
    expiresAt: string;
    /** Why the offered driver won. */
    reason: string | null;
    candidates: {
      driverId: string;
      vehicle?: "bike" | "scooter" | "car";
      distanceM: number;
      etaSeconds: number;
      idleSeconds?: number;
      score: number;
      /** Why this driver was not chosen; null for the one offered the order. */
      rejectedBecause?: string | null;
      /** A driver of a neighbouring city shard (an order near a shard border); absent for the order's own shard. */
      shardKey?: string;
    }[];
    status: "pending" | "accepted" | "declined" | "expired" | "cancelled";
    /** How the offer ended (null while open). */
    outcome: string | null;
    resolvedAt: string | null;
  }[];
  /** Searches that found nobody (with each radius tried), assignment, status changes, cancellation; a silent assigned driver (ADR 0079): `driver_silent` (pinged), `driver_unresponsive` (released and offered again, or after pickup `afterPickup: true`: operators alerted), `release_refused` (picked up meanwhile). */
  notes: {
    at: string;
    kind: string;
    detail: {
      [key: string]: unknown;
    };
  }[];
};

export type Session = {
  /** JWT (HS256), valid 15 minutes. Absent when the request names a web app (`X-Session-App`): the tokens are then set in that app’s HttpOnly cookies, never in the body. */
  accessToken?: string;
  /** Opaque; single use: every refresh returns a new one. Absent when the request names a web app (`X-Session-App`): the tokens are then set in that app’s HttpOnly cookies, never in the body. */
  refreshToken?: string;
  /** Absent when the request names a web app (`X-Session-App`): the tokens are then set in that app’s HttpOnly cookies, never in the body. */
  tokenType?: "Bearer";
  /** Seconds until the access token (or its cookie) expires. */
  expiresIn: number;
  user: User;
};

export type User = {
  id: string;
  role: "customer" | "merchant" | "driver" | "ops" | "admin";
  email: string;
  name: string;
  phone: string | null;
  locale: string;
  /** The business a merchant account acts for. */
  merchantId: string | null;
  merchantRole: "owner" | "manager" | "staff" | null;
  driverId: string | null;
  createdAt: string;
};

/** Self-registration. `role` is customer, merchant or driver; operators are created by command only, so any other role is refused (422). Unknown fields are ignored. */
export type Registration = CustomerRegistration | MerchantRegistration | DriverRegistration;

export type CustomerRegistration = {
  role: "customer";
  email: string;
  /** 12 to 256 characters. */
  password: string;
  name: string;
  /** E.164 */
  phone?: string;
};

export type MerchantRegistration = {
  role: "merchant";
  email: string;
  /** 12 to 256 characters. */
  password: string;
  name: string;
  /** E.164 */
  phone?: string;
  business: BusinessRegistration;
};

export type BusinessRegistration = {
  name: string;
  kind: "restaurant" | "store" | "pharmacy";
  address: string;
  location: LatLng;
  /** One of GET /v1/cities */
  cityId: string;
};

export type DriverRegistration = {
  role: "driver";
  email: string;
  /** 12 to 256 characters. */
  password: string;
  name: string;
  /** E.164 */
  phone?: string;
  vehicle: "bike" | "scooter" | "car";
  /** One of GET /v1/cities */
  cityId: string;
};

export type LoginSession = Session & {
  /** Marks this device as known to the account (180 days): send it back at the next sign-in (browsers get it as the HttpOnly `device` cookie too). Absent for the web apps (`X-Session-App`), which keep it in that cookie only (ADR 0087). */
  deviceToken?: string;
};

export type Login = {
  email: string;
  password: string;
  /** The `deviceToken` of an earlier sign-in on this device (apps; browsers send the `device` cookie instead). A device that has signed in before is not slowed by failures made elsewhere against the account. */
  deviceToken?: string;
};

export type TokenPair = {
  /** JWT (HS256), valid 15 minutes. Absent when the request names a web app (`X-Session-App`): the tokens are then set in that app’s HttpOnly cookies, never in the body. */
  accessToken?: string;
  /** Opaque; single use: every refresh returns a new one. Absent when the request names a web app (`X-Session-App`): the tokens are then set in that app’s HttpOnly cookies, never in the body. */
  refreshToken?: string;
  /** Absent when the request names a web app (`X-Session-App`): the tokens are then set in that app’s HttpOnly cookies, never in the body. */
  tokenType?: "Bearer";
  /** Seconds until the access token (or its cookie) expires. */
  expiresIn: number;
};

export type Refresh = {
  /** The current refresh token; left out by the web apps, whose refresh cookie is used (X-Session-App, ADR 0087). */
  refreshToken?: string;
};

/** Optional: a refresh token of the caller whose family is revoked as well. */
export type Logout = {
  refreshToken?: string;
};

export type PasswordChange = {
  /** The password in use now (asked again: a stolen access token alone cannot change it). */
  currentPassword: string;
  /** 12 to 256 characters. */
  newPassword: string;
};

export type Tracking = {
  /** The order number shown as `#` + number in every message about the order. */
  number: string;
  /** The seq of the order’s latest event. */
  seq: number;
  status: "pending_payment" | "placed" | "preparing" | "ready" | "in_delivery" | "delivered" | "cancelled" | "rejected" | "failed";
  dispatch: "unassigned" | "offered" | "assigned" | "picked_up" | "dropped_off";
  driver?: {
    /** First name only */
    name: string | null;
    vehicle: string;
    location: {
      lat: number;
      lng: number;
    } | null;
    heading: number | null;
    updatedAt: string | null;
  };
  /** Seconds until the driver reaches its current target (pickup, then drop-off) */
  eta?: number;
  trackingUrl: string;
};

export type CreatedApiKey = ApiKey & {
  /** The key itself. Shown in the first answer only: only its hash is stored, and an Idempotency-Key replay answers the key without it. */
  key?: string;
};

export type ApiKey = {
  id: string;
  /** The visible start of the key, to tell keys apart. */
  prefix: string;
  name: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
};

export type NewApiKey = {
  name?: string;
};

export type StaffMember = {
  userId: string;
  email: string;
  name: string;
  phone: string | null;
  role: "owner" | "manager" | "staff";
  createdAt: string;
};

/** A new account for a member of staff; the owner hands over the initial password. */
export type NewStaffMember = {
  email: string;
  /** 12 to 256 characters. */
  password: string;
  name: string;
  /** E.164 */
  phone?: string;
  /** manager: orders, catalog and webhooks; staff: orders only. Neither manages API keys or staff. */
  role: "manager" | "staff";
};

export type StaffRoleChange = {
  /** manager: orders, catalog and webhooks; staff: orders only. Neither manages API keys or staff. */
  role: "manager" | "staff";
};

export type OwnershipTransfer = {
  merchantId: string;
  /** The new owner. */
  ownerId: string;
  previousOwnerId: string;
  /** The former owner stays a member, as a manager; the new owner may remove it. */
  previousOwnerRole: "manager";
};

export type OwnershipTransferRequest = {
  /** A member of the business (manager or staff, see GET /v1/merchants/{id}/staff) with an active account. */
  toUserId: string;
  /** The owner's password, asked again: this cannot be undone by the caller. */
  password: string;
};

export type BusinessClosure = {
  merchantId: string;
  closedAt: string;
  /** Every membership ended, the owner’s included; each member’s sessions ended. */
  membersRemoved: number;
  apiKeysRevoked: number;
  webhooksDisabled: number;
};

export type BusinessClosureRequest = {
  /** The owner's password, asked again: this cannot be undone by the caller. */
  password: string;
};

export type Merchant = {
  id: string;
  cityId: string;
  name: string;
  kind: "restaurant" | "store" | "pharmacy";
  address: string;
  location: LatLng;
  /** Set by the merchant. */
  open: boolean;
  /** Set by operators; a suspended merchant takes no orders. */
  suspended: boolean;
  /** open and not suspended. */
  acceptingOrders: boolean;
  prepMinutes: number;
};

export type MerchantPatch = {
  name?: string;
  open?: boolean;
  address?: string;
  location?: LatLng;
  /** Operators only. */
  suspended?: boolean;
};

export type Product = {
  id: string;
  merchantId: string;
  name: string;
  description: string | null;
  /** Integer minor units of `currency`. */
  priceCents: number;
  currency: string;
  available: boolean;
  requiresPrescription: boolean;
  createdAt: string;
  updatedAt: string;
};

export type NewProduct = {
  name: string;
  description?: string | null;
  /** Integer minor units (e.g. 950 = 9.50 EUR). No floats. */
  priceCents: number;
  available?: boolean;
  /** Pharmacies only: delivery then needs an ID check. */
  requiresPrescription?: boolean;
};

export type ProductPatch = {
  name?: string;
  description?: string | null;
  /** Integer minor units (e.g. 950 = 9.50 EUR). No floats. */
  priceCents?: number;
  available?: boolean;
  /** Pharmacies only: delivery then needs an ID check. */
  requiresPrescription?: boolean;
};

export type CreatedOrder = {
  order: Order;
  payment?: {
    /** Confirm the PaymentIntent with it (Stripe.js). */
    clientSecret: string;
    /** Local mode only: where to confirm (the Stripe fake), since Stripe.js cannot load offline. */
    apiBase?: string;
    /** Stripe’s publishable key to mount the Payment Element with (local mode: the key the fake accepts). */
    publishableKey?: string;
  };
};

export type NewOrder = {
  merchantId: string;
  items: {
    productId: string;
    quantity: number;
  }[];
  dropoff: {
    address: string;
    location: LatLng;
    instructions?: string;
  };
  /** Merchants (API key) only: who the order is for. */
  customer?: {
    name: string;
    phone: string;
    email?: string;
  };
  /** Merchants (API key) only: true when paid off-platform; the order is placed at once. */
  paid?: boolean;
  /** A later delivery window instead of as soon as possible (customers and merchant API keys). It starts at least 30 minutes and at least the shop’s prep time + 15 minutes from now, at most 7 days ahead, and lasts 15–120 minutes; otherwise 422. The order is paid and placed as today, then held: the merchant may accept it from `releaseAt` (window start − prep time), when the platform releases it. */
  scheduledFor?: {
    /** When the delivery window opens. */
    start: string;
    /** When it closes. */
    end: string;
  };
};

export type StepReason = {
  reason?: string;
};

export type DeliveryProof = {
  pin?: string;
  /** The `url` that POST /v1/orders/{id}/proof-photos answered for this order; any other link is refused (422). */
  photoUrl?: string;
  /** Required when the order contains a product that requires a prescription. */
  idCheck?: {
    documentType: "id_card" | "passport" | "driving_licence" | "residence_permit";
    birthYear: number;
  };
};

export type ProofPhoto = {
  id: string;
  orderId: string;
  /** Send this as `photoUrl` to POST /v1/orders/{id}/deliver. Readable by the order’s parties and operators. */
  url: string;
  contentType: "image/jpeg" | "image/png" | "image/webp";
  bytes: number;
  createdAt: string;
};

export type Payment = {
  status: "requires_payment" | "processing" | "succeeded" | "failed" | "canceled" | "refunded" | "partially_refunded";
  amountCents: number;
  currency: string;
  refundedCents: number;
  /** The last decline, as the provider reported it. */
  failureReason: string | null;
};

export type StripeEvent = {
  id: string;
  type: string;
  [key: string]: unknown;
};

export type NotificationPreferences = {
  /** Order messages by SMS. */
  sms: boolean;
  /** Order messages by email. */
  email: boolean;
  /** Order messages by push to registered devices. */
  push: boolean;
  /** Separate consent for marketing (opt-in, false by default); never needed for order messages. */
  marketing: boolean;
  /** Number for SMS (E.164); null: the account’s phone. */
  phone: string | null;
  /** Address for email; null: the account’s email. */
  emailAddress: string | null;
  /** Language of the messages (BCP 47; en and fr have templates, others get English). */
  locale: string;
};

/** All four switches are required (PUT replaces them). `phone` and `emailAddress`: omitted keeps, null clears (the account’s own is used). */
export type NotificationPreferencesInput = {
  sms: boolean;
  email: boolean;
  push: boolean;
  marketing: boolean;
  phone?: string | null;
  emailAddress?: string | null;
  locale?: string;
};

export type Device = {
  id: string;
  platform: "ios" | "android" | "web";
  createdAt: string;
  lastSeenAt: string;
};

export type DeviceInput = {
  /** The FCM registration token of the app install. */
  pushToken: string;
  platform: "ios" | "android" | "web";
};

export type WebhookCreated = WebhookEndpoint & {
  /** whsec_<base64>: shown in the first answer only, keep it to verify signatures. Stored encrypted; an Idempotency-Key replay of the registration answers the endpoint without it. */
  secret?: string;
};

export type WebhookEndpoint = {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  active: boolean;
  createdAt: string;
};

/** Each delivery POSTs `{ id, type, createdAt, seq, data: { order } }`. `data.order` is the order exactly as GET /v1/orders/{id} shows it to the merchant, as it was at that event (not when the delivery is sent); `seq` is that event’s seq (also `data.order.seq`). A payment event carries the order as of its latest event when the payment event was first handled, and that seq. Deliveries of one order to one endpoint go out in seq order: a later event waits while an earlier one the endpoint subscribed to is not yet delivered, at most 10 minutes, or until the earlier one is dead. Every attempt of an event sends the same bytes; keep the highest seq seen per order and ignore anything lower. */
export type WebhookInput = {
  url: string;
  /** Event types, or ["*"] for all. */
  events: ("order.created" | "order.placed" | "order.preparing" | "order.ready" | "order.assigned" | "order.in_delivery" | "order.delivered" | "order.cancelled" | "order.rejected" | "order.failed" | "payment.succeeded" | "payment.failed" | "payment.refunded" | "*")[];
  description?: string;
};

export type WebhookDelivery = {
  id: string;
  /** The Webhook-Id header: the same on every attempt of the event. */
  eventId: string;
  event: string;
  attempt: number;
  trigger: "event" | "retry" | "replay";
  /** `dead`: retries exhausted (24 h); only a replay sends it again. */
  status: "pending" | "succeeded" | "failed" | "dead";
  /** What the receiver answered; null when it could not be reached. */
  statusCode: number | null;
  latencyMs: number | null;
  error: string | null;
  /** When the next automatic attempt is due, if one is. */
  nextRetryAt: string | null;
  createdAt: string;
};

export type TwilioStatusCallback = {
  MessageSid?: string;
  MessageStatus?: string;
  AccountSid?: string;
  ErrorCode?: string;
  [key: string]: unknown;
};

export type DevMessage = {
  id: string;
  channel: "sms" | "email" | "push";
  /** Phone number, email address, or push token(s). */
  to: string;
  event: string;
  locale: string;
  /** Email subject or push title. */
  subject?: string;
  /** The rendered text as sent. */
  body: string;
  orderId?: string;
  at: string;
};

export type DeadLetter = {
  id: string;
  queue: string;
  messageId: string;
  /** The message as it was on the queue (an event envelope, or a shard fact). */
  body?: unknown;
  error: string | null;
  attempts: number;
  createdAt: string;
  replayedAt: string | null;
};

export type HeldScheduledOrder = {
  orderId: string;
  /** The order number people see (shown as #number). */
  number: string;
  cityId: string;
  merchantId: string;
  merchantName: string;
  scheduledFor: {
    start: string;
    end: string;
  };
  /** When the minute cron releases it to the merchant (window start − prep time). In the past: the cron is late (see the runbook). */
  releaseAt: string;
};

export type OrderAwaitingMerchant = {
  orderId: string;
  /** The order number people see (shown as #number). */
  number: string;
  cityId: string;
  merchantId: string;
  merchantName: string;
  placedAt: string;
  /** Since when the merchant has been asked: the placement, or a scheduled order’s release (ADR 0108); the deadlines count from it. */
  askedAt: string;
  /** When the merchant was told again on every channel (the order.escalated event); null while within the city’s first deadline. */
  escalatedAt: string | null;
  /** When the platform cancels and refunds the order if nobody accepts it (reason merchant_unresponsive). */
  autoCancelAt: string;
};

export type SessionsEnded = {
  userId: string;
  sessionsEnded: number;
  refreshTokensRevoked: number;
};

export type OpsDriver = {
  id: string;
  /** Null when the driver’s account was erased. */
  name: string | null;
  vehicle: "bike" | "scooter" | "car";
  /** Allowed to work (not: online now; the live feed says that). */
  active: boolean;
};

export type OperatorAssignmentResult = {
  orderId: string;
  driverId: string;
  previousDriverId: string | null;
  seq: number;
  unchanged: boolean;
  /** The city shard carried it out at once (false: it catches up from the order’s relay and the driver’s next connect). */
  driverTold: boolean;
};

export type OperatorAssignment = {
  driverId: string;
  /** Why: kept in the audit log. */
  reason: string;
};

export type OperatorCancellationResult = {
  orderId: string;
  status: string;
  seq: number;
  refund: {
    refundId: string;
    amountCents: number;
  } | null;
};

export type OperatorCancellation = {
  /** Why: kept in the audit log. */
  reason: string;
  refundCents?: number;
};

export type DriverOfflineResult = {
  driverId: string;
  wasOnline: boolean;
};

export type DriverOffline = {
  /** Why: kept in the audit log. */
  reason: string;
};

export type DriverMessageResult = {
  driverId: string;
  live: boolean;
  pushDevices: number;
};

export type DriverMessage = {
  text: string;
};

export type StuckOrders = {
  unassigned: {
    orderId: string;
    number: string;
    merchantName: string;
    status: string;
    dispatch: string;
    waitingSince: string;
    ageSeconds: number;
  }[];
  alerts: {
    kind: "no_merchant_answer" | "no_driver_found" | "driver_not_moving";
    orderId: string;
    number: string;
    merchantName: string;
    status: string;
    driverId: string | null;
    /** When the wait began; null: the driver is not connected. */
    since: string | null;
    ageSeconds: number | null;
  }[];
};

export type OrderMessage = {
  id: string;
  thread: "customer_driver" | "merchant_driver";
  senderRole: "customer" | "merchant" | "driver";
  /** Sent by the caller (their account, or for a merchant, their business). */
  mine: boolean;
  body: string;
  at: string;
};

export type NewOrderMessage = {
  thread?: "customer_driver" | "merchant_driver";
  body: string;
};

export type SearchResults = {
  merchants: Merchant[];
  products: (Product & {
    merchant: {
      id: string;
      name: string;
    };
  })[];
};

export type DeliveryQuote = {
  merchantId: string;
  distanceM: number;
  /** Integer minor units of `currency`, before tax. */
  deliveryFeeCents: number;
  currency: string;
  deliverable: boolean;
  acceptingOrders: boolean;
  /** The zone the point lies in (the one that decides); null without zones or outside every zone. */
  zone: {
    id: string;
    name: string;
    kind: "delivery" | "pickup_only" | "no_go";
  } | null;
  /** What the point is to the city: delivered to, pickup-only, no-go or outside. */
  area: "delivery" | "pickup_only" | "no_go" | "outside";
  /** Open by its opening hours now. */
  openNow: boolean;
  opensAt: string | null;
  /** `opensAt` in the shop’s time zone ("Opens at 11:00"). */
  opensAtLocal: {
    date: string;
    time: string;
  } | null;
  closesAt: string | null;
  timezone: string;
  /** The prep estimate in force (busy mode included). */
  prepMinutes: number;
  busy: boolean;
  /** Prep plus the ride, counted from an order placed now (from the opening when closed). */
  etaMinutes: number;
  etaAt: string;
  orderable: boolean;
  /** The problem type slug an order would be refused with (docs/problems.md), or null. */
  refusal: string | null;
};

export type MerchantHours = {
  merchantId: string;
  /** The IANA zone the hours are read in: the shop’s own, else its city’s. */
  timezone: string;
  openingHours: OpeningHours;
  /** Open by its hours now (the merchant’s open switch, suspension and closure aside: see `acceptingOrders`). */
  openNow: boolean;
  closesAt: string | null;
  opensAt: string | null;
  /** `opensAt` in the shop’s zone, for "Opens at 11:00". */
  opensAtLocal: {
    date: string;
    time: string;
  } | null;
  /** Open switch on, not suspended, not closed for good. */
  acceptingOrders: boolean;
  /** The usual prep estimate. */
  prepMinutes: number;
  /** The estimate in force: longer by `busyExtraMinutes` while busy. */
  prepMinutesNow: number;
  busy: boolean;
  busyUntil: string | null;
  busyExtraMinutes: number;
};

/** Null: open around the clock (as `open` allows). */
export type OpeningHours = {
  weekly: {
    sun?: {
      open: string;
      close: string;
    }[];
    mon?: {
      open: string;
      close: string;
    }[];
    tue?: {
      open: string;
      close: string;
    }[];
    wed?: {
      open: string;
      close: string;
    }[];
    thu?: {
      open: string;
      close: string;
    }[];
    fri?: {
      open: string;
      close: string;
    }[];
    sat?: {
      open: string;
      close: string;
    }[];
  };
  exceptions?: {
    date: string;
    intervals: {
      open: string;
      close: string;
    }[];
    note?: string;
  }[];
} | null;

export type MerchantHoursPut = {
  openingHours: OpeningHours & unknown;
  /** Null or absent: the city’s zone. */
  timezone?: string | null;
  prepMinutes?: number;
};

export type MerchantBusyPut = {
  busy: boolean;
  /** How long busy mode lasts (it ends by itself). */
  forMinutes?: number;
  /** Added to the prep estimate while busy; absent: as before (15 by default). */
  extraMinutes?: number;
};

export type CityZones = {
  cityId: string;
  zones: ServiceZones;
  feeSchedule: FeeSchedule;
  serviceRadiusKm: number;
};

/** Null: the city serves the circle of its service radius. */
export type ServiceZones = {
  type: "FeatureCollection";
  features: ZoneFeature[];
} | null;

export type ZoneFeature = {
  type: "Feature";
  /** Lower-case letters, digits, - and _; unique in the city. */
  id: string;
  properties: {
    name: string;
    /** `delivery`: delivered to; `pickup_only`: collected at the shop, never delivered; `no_go`: never delivered to, whatever zone covers it too. */
    kind: "delivery" | "pickup_only" | "no_go";
    /** The delivery fee into this zone when the schedule is `zone`. */
    feeCents?: number;
  };
  geometry: {
    type: "Polygon";
    /** The outer ring, then any holes. */
    coordinates: [number, number][][];
  } | {
    type: "MultiPolygon";
    coordinates: [number, number][][][];
  };
};

/** Null: the city’s base fee plus its rate per started kilometre. */
export type FeeSchedule = {
  type: "distance";
  bands: {
    upToM: number;
    feeCents: number;
  }[];
} | {
  type: "zone";
  defaultFeeCents: number;
} | null;

export type CityZonesPut = {
  zones: ServiceZones & unknown;
  feeSchedule: FeeSchedule & unknown;
};
