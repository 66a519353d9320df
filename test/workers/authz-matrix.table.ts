/**
 * ============================================================================
 *  THE AUTHORIZATION MATRIX: who may call which route, on whose object.
 * ============================================================================
 *
 *  authz-matrix.test.ts enumerates every route the app serves (Hono's
 *  `app.routes`) and calls each one as every role below, on the caller's own
 *  object and on someone else's, expecting the status written here. A served
 *  route without a line here FAILS the test, naming the route; so does a line
 *  for a route that is no longer served.
 *
 *  HOW TO ADD YOUR ROUTE — one line in MATRIX, keyed exactly as Hono prints it
 *  (`:param`, not `{param}`), with one cell per role, in this order:
 *
 *      'POST /v1/things/:id':  row(anon, customer, owner, staff, apiKey, driver, ops),
 *
 *  - A cell is the expected status code, or `[own, other]` when it depends on
 *    whose object the path names (e.g. `[200, 404]`: 200 on the caller's own,
 *    404 on another's — never 403, which would leak that it exists).
 *  - "own" for each role: customer → its own object; owner, staff and API key →
 *    merchant A's (the one they act for); driver → its own / assigned;
 *    ops → same as other. "other" → merchant B's / another customer's / ….
 *  - Send what the allowed caller would send: if your route takes a body, add
 *    `.body((ctx) => ({ ... }))` (it may be async, and is called per request,
 *    so it can make unique values); a refusal must be about who calls, not
 *    about a bad body.
 *  - Path params are filled by PARAMS below, keyed `<segment before>/:<param>`
 *    (e.g. `orders/:id`). If your route has a new one, add a resolver that
 *    returns the id of an own / other object for the role (create a fresh one
 *    when the call may change or delete it).
 *
 *  - A route that changes or ends the caller itself or its business takes a
 *    fresh caller (`.freshCaller(...)`) or, for the owner's own business, a
 *    fresh business (`.freshOwnBusiness(...)`): the shared world must stay as
 *    it is for the other lines (sessions end at once, ADR 0082).
 *
 *  Roles: anonymous (no credentials) · customer · merchantOwner ·
 *  merchantStaff (role `staff`) · merchantApiKey · driver · ops.
 * ============================================================================
 */
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { orders } from '../../db/schema/index';
import { startSession } from '../../workers/services/auth/sessions';
import { openTrackingToken } from '../../workers/services/orders/codes';
import { dataKeys } from '../../workers/services/secrets/data-keys';
import { sessionToken } from './helpers/sessions';
import { PASSWORD, createApiKey, createOps, login, register, registrationBody, testDb, uniqueEmail } from './auth-helpers';
import { freshStaffMember, type World } from './authz-matrix.world';
import { matrixDeadLetter, matrixDelivery, matrixDevice, matrixEndpoint, matrixWebhookBody } from './helpers/notification-matrix';
import { MATRIX_JPEG, MATRIX_PIN, freshMatrixProduct, matrixOrder, matrixOrderBody, matrixProofPhoto } from './helpers/order-matrix';

export const ROLES = ['anonymous', 'customer', 'merchantOwner', 'merchantStaff', 'merchantApiKey', 'driver', 'ops'] as const;
export type Role = (typeof ROLES)[number];
export type Which = 'own' | 'other';
export type Cell = number | readonly [own: number, other: number];

export interface ResolveContext {
  world: World;
  role: Role;
  which: Which;
  /** The matrix line being run, e.g. `POST /v1/orders/:id/accept`. */
  route: string;
  /** Params resolved so far, left to right (e.g. `id` before `keyId`). */
  params: Record<string, string>;
}

/** A business of its own for one call: its owner's token and path params (`id`, and any the body needs). */
export interface FreshBusiness {
  token: string;
  params: Record<string, string>;
}

export class Row {
  bodyOf?: (ctx: ResolveContext) => unknown;
  headersOf?: (ctx: ResolveContext) => Record<string, string>;
  queryOf?: (ctx: ResolveContext) => Record<string, string>;
  callerOf?: (ctx: ResolveContext) => Promise<string | undefined>;
  ownBusinessOf?: (ctx: ResolveContext) => Promise<FreshBusiness>;
  constructor(readonly cells: Readonly<Record<Role, Cell>>) {}
  /**
   * For routes that hand over or close the owner's own business: the owner's
   * "own" call gets a fresh business (and owner) instead of merchant A, which
   * every other line needs as it is. Its params are resolved before the path.
   */
  freshOwnBusiness(build: (ctx: ResolveContext) => Promise<FreshBusiness>): this {
    this.ownBusinessOf = build;
    return this;
  }
  /** The request body, built for each call. */
  body(build: (ctx: ResolveContext) => unknown): this {
    this.bodyOf = build;
    return this;
  }
  /**
   * A fresh caller of the row's role instead of the shared world's, for routes
   * that change the caller itself (DELETE /v1/me would erase the world's users).
   */
  freshCaller(build: (ctx: ResolveContext) => Promise<string | undefined>): this {
    this.callerOf = build;
    return this;
  }
  /** The query string the allowed caller sends (e.g. a required `q`), built for each call. */
  query(build: (ctx: ResolveContext) => Record<string, string>): this {
    this.queryOf = build;
    return this;
  }
  /** Request headers the allowed caller sends (e.g. Idempotency-Key), built for each call. */
  headers(build: (ctx: ResolveContext) => Record<string, string>): this {
    this.headersOf = build;
    return this;
  }
}

export const row = (anonymous: Cell, customer: Cell, merchantOwner: Cell, merchantStaff: Cell, merchantApiKey: Cell, driver: Cell, ops: Cell) =>
  new Row({ anonymous, customer, merchantOwner, merchantStaff, merchantApiKey, driver, ops });

const merchantOf = ({ world, which }: ResolveContext) => (which === 'own' ? world.owner : world.otherOwner);

/** Path parameter resolvers, keyed `<segment before>/:<param>`. */
export const PARAMS: Record<string, (ctx: ResolveContext) => string | Promise<string>> = {
  'merchants/:id': (ctx) => merchantOf(ctx).user.merchantId!,
  'cities/:id': ({ world }) => world.cityId,
  // Fresh objects: a call may revoke or remove them.
  'api-keys/:keyId': async (ctx) => (await createApiKey(merchantOf(ctx))).id,
  'staff/:userId': (ctx) => freshStaffMember(merchantOf(ctx)),
  'webhooks/:webhookId': (ctx) => matrixEndpoint(ctx.params.id!),
  'deliveries/:deliveryId': (ctx) => matrixDelivery(ctx.params.webhookId!),
  'devices/:deviceId': ({ world, role, which }) => {
    const own = { customer: world.customer, merchantOwner: world.owner, merchantStaff: world.staff, driver: world.driver, ops: world.ops } as const;
    return matrixDevice((which === 'own' && role in own ? own[role as keyof typeof own] : world.otherCustomer).user.id);
  },
  'dead-letters/:id': () => matrixDeadLetter(),
  'drivers/:id': ({ world }) => world.driver.user.driverId!,
  'users/:userId': async ({ world }) => (await register('customer', world.cityId)).user.id,
  // Orders are created in the status the route's allowed caller needs (helpers/order-matrix.ts).
  'orders/:id': (ctx) => matrixOrder(ctx),
  'track/:token': async (ctx) => {
    const [row] = await testDb().select().from(orders).where(eq(orders.id, await matrixOrder(ctx)));
    // In clear as the helper wrote it, or sealed if the seal sweep got to it first (ADR 0083).
    return openTrackingToken(await dataKeys(env.DATA_ENCRYPTION_KEYS), row!);
  },
  'products/:productId': (ctx) => freshMatrixProduct(ctx.params.id!),
  'proof-photos/:photoId': (ctx) => matrixProofPhoto(ctx.params.id!),
};

/** A new account of the role, for rows that change the caller itself. */
async function freshCallerOf({ world, role }: ResolveContext): Promise<string | undefined> {
  switch (role) {
    case 'anonymous':
      return undefined;
    case 'customer':
    case 'driver':
      return (await register(role, world.cityId)).accessToken;
    case 'merchantStaff': {
      const userId = await freshStaffMember(world.owner);
      return sessionToken({ sub: userId, role: 'merchant', mid: world.owner.user.merchantId!, mrole: 'staff' });
    }
    case 'ops':
      return (await createOps()).accessToken;
    case 'merchantOwner':
      return world.owner.accessToken; // refused: nothing changes
    case 'merchantApiKey':
      return world.apiKey.key; // refused: nothing changes
  }
}

/**
 * A second session of the world's account (or a fresh account), for rows that end
 * the caller's session (logout): the world's own tokens must stay live for the other rows.
 */
async function secondSessionOf({ world, role }: ResolveContext): Promise<string | undefined> {
  switch (role) {
    case 'anonymous':
      return undefined;
    case 'merchantApiKey':
      return world.apiKey.key; // refused: nothing changes
    case 'customer':
      return (await login(world.customer.email)).accessToken;
    case 'merchantOwner':
      return (await login(world.owner.email)).accessToken;
    case 'merchantStaff':
      return (await login(world.staff.email)).accessToken;
    case 'driver':
      return (await login(world.driver.email)).accessToken;
    case 'ops':
      return (await login(world.ops.email)).accessToken;
  }
}

/** Fresh accounts of every role, the owner's included (a password change ends every session of its account). */
async function freshAccountOf(ctx: ResolveContext): Promise<string | undefined> {
  if (ctx.role === 'merchantOwner') return (await register('merchant', ctx.world.cityId)).accessToken;
  return freshCallerOf(ctx);
}

/** A new business with one member of staff, for the owner's own call to hand over or close. */
async function freshBusiness({ world }: ResolveContext): Promise<FreshBusiness> {
  const owner = await register('merchant', world.cityId);
  const memberId = await freshStaffMember(owner);
  return { token: owner.accessToken, params: { id: owner.user.merchantId!, memberId } };
}

const ALL = (status: number) => row(status, status, status, status, status, status, status);

// prettier-ignore
export const MATRIX: Record<string, Row> = {
  //                                            anon  customer  owner        staff        apiKey       driver  ops
  // Operations and documentation
  'GET /healthz':                               ALL(200),
  'GET /readyz':                                ALL(200),
  'GET /metrics':                               row(401, 403,      403,         403,         403,         403,    200),
  'GET /openapi.json':                          ALL(200),
  'GET /docs':                                  ALL(200),
  'GET /docs/setup.js':                         ALL(200),
  'GET /docs/reference.js':                     ALL(200),
  'GET /v1/cities':                             ALL(200),
  // Public merchant pages (docs/api.md: "anyone")
  'GET /v1/merchants':                          ALL(200),
  'GET /v1/merchants/:id':                      ALL(200),
  'GET /v1/merchants/:id/products':             ALL(200),
  'GET /v1/merchants/:id/delivery-quote':       ALL(200).query(() => ({ lat: '48.857', lng: '2.352' })),
  // Opening hours and busy mode (ADR 0111): the hours are the owner's to set, busy mode whoever takes the orders
  'GET /v1/merchants/:id/hours':                ALL(200),
  'PUT /v1/merchants/:id/hours':                row(401, 403,      [200, 404],  [403, 404],  [403, 404],  403,    403).body(() => ({ openingHours: null })),
  'PUT /v1/merchants/:id/busy':                 row(401, 403,      [200, 404],  [200, 404],  [200, 404],  403,    403).body(() => ({ busy: false })),
  'GET /v1/search':                             ALL(200).query(() => ({ q: 'creme brulee' })),
  'GET /v1/cities/:id/live':                    row(401, 403,      403,         403,         403,         403,    200),

  // Drivers and live channels (the WebSocket route answers a plain request from its driver with 426)
  'GET /v1/drivers/me/live':                    row(401, 403,      403,         403,         403,         426,    403),
  'POST /v1/drivers/me/locations':              row(401, 403,      403,         403,         403,         200,    403)
    .body(() => ({ points: [{ lat: 48.8566, lng: 2.3522, at: new Date().toISOString() }] })),
  'GET /v1/drivers/me/assignments':             row(401, 403,      403,         403,         403,         200,    403),
  // The city shard's side of an order (a plain request from a party to the order gets 426)
  'GET /v1/orders/:id/live':                    row(401, [426, 404], [426, 404],  [426, 404],  [426, 404],  [426, 404], 403),
  'GET /v1/orders/:id/dispatch':                row(401, 403,      [200, 404],  [200, 404],  [200, 404],  403,    200),

  // Identity
  'POST /v1/auth/register':                     ALL(201).body(({ world }) => registrationBody('customer', world.cityId)),
  'POST /v1/auth/login':                        ALL(200).body(({ world }) => ({ email: world.customer.email, password: PASSWORD })),
  'POST /v1/auth/refresh':                      ALL(200).body(async ({ world }) => ({ refreshToken: (await startSession(testDb(), world.customer.user.id)).token })),
  // Logout ends the caller's session at once (ADR 0082): a second session of each account signs out.
  'POST /v1/auth/logout':                       row(401, 204,      204,         204,         403,         204,    204).freshCaller(secondSessionOf),
  // Changing the password ends every session of the account: fresh accounts of each role.
  'POST /v1/me/password':                       row(401, 200,      200,         200,         403,         200,    200)
    .freshCaller(freshAccountOf).body(() => ({ currentPassword: PASSWORD, newPassword: 'matrix passphrase 2024' })),
  'GET /v1/me':                                 row(401, 200,      200,         200,         403,         200,    200),
  'GET /v1/me/export':                          row(401, 200,      200,         200,         403,         200,    200),
  // Erasure: an owner must hand over the business first (409); an API key is no person (403).
  'DELETE /v1/me':                              row(401, 204,      409,         204,         403,         204,    204).freshCaller(freshCallerOf),
  'POST /v1/merchants/:id/api-keys':            row(401, 403,      [201, 404],  [403, 404],  [403, 404],  403,    403).body(() => ({ name: 'matrix' })),
  'GET /v1/merchants/:id/api-keys':             row(401, 403,      [200, 404],  [403, 404],  [403, 404],  403,    403),
  'DELETE /v1/merchants/:id/api-keys/:keyId':   row(401, 403,      [204, 404],  [403, 404],  [403, 404],  403,    403),
  'POST /v1/merchants/:id/staff':               row(401, 403,      [201, 404],  [403, 404],  [403, 404],  403,    403)
    .body(() => ({ email: uniqueEmail('matrix'), password: PASSWORD, name: 'Matrix member', role: 'staff' })),
  'GET /v1/merchants/:id/staff':                row(401, 403,      [200, 404],  [403, 404],  [403, 404],  403,    403),
  'PATCH /v1/merchants/:id/staff/:userId':      row(401, 403,      [200, 404],  [403, 404],  [403, 404],  403,    403).body(() => ({ role: 'manager' })),
  'DELETE /v1/merchants/:id/staff/:userId':     row(401, 403,      [204, 404],  [403, 404],  [403, 404],  403,    403),
  // Handing over or closing a business (ADR 0089): the owner alone, on a business of its own made for the call.
  'POST /v1/merchants/:id/ownership-transfer':  row(401, 403,      [200, 404],  [403, 404],  [403, 404],  403,    403)
    .freshOwnBusiness(freshBusiness).body(({ params }) => ({ toUserId: params.memberId ?? 'usr_matrixnobody0000000', password: PASSWORD })),
  'POST /v1/merchants/:id/close':               row(401, 403,      [200, 404],  [403, 404],  [403, 404],  403,    403)
    .freshOwnBusiness(freshBusiness).body(() => ({ password: PASSWORD })),

  // Notifications, merchant webhooks, dead letters
  'GET /v1/me/notification-preferences':        row(401, 200,      200,         200,         403,         200,    200),
  'PUT /v1/me/notification-preferences':        row(401, 200,      200,         200,         403,         200,    200).body(() => ({ sms: true, email: true, push: true, marketing: false })),
  'POST /v1/me/devices':                        row(401, 201,      201,         201,         403,         201,    201).body(() => ({ pushToken: `matrix-${crypto.randomUUID()}`, platform: 'web' })),
  'DELETE /v1/me/devices/:deviceId':            row(401, [204, 404], [204, 404], [204, 404], 403,         [204, 404], [204, 404]),
  'POST /v1/webhooks/twilio/status':            ALL(403).body(() => 'MessageSid=SMmatrix&MessageStatus=delivered'),
  'POST /v1/merchants/:id/webhooks':            row(401, 403,      [201, 404],  [403, 404],  [403, 404],  403,    403).body(matrixWebhookBody),
  'GET /v1/merchants/:id/webhooks':             row(401, 403,      [200, 404],  [403, 404],  [403, 404],  403,    403),
  'DELETE /v1/merchants/:id/webhooks/:webhookId': row(401, 403,    [204, 404],  [403, 404],  [403, 404],  403,    403),
  'GET /v1/merchants/:id/webhooks/:webhookId/deliveries': row(401, 403, [200, 404], [403, 404], [403, 404], 403, 403),
  'POST /v1/merchants/:id/webhooks/:webhookId/deliveries/:deliveryId/replay': row(401, 403, [201, 404], [403, 404], [403, 404], 403, 403),
  'GET /v1/dev/outbox':                         ALL(200),
  'GET /v1/ops/dead-letters':                   row(401, 403,      403,         403,         403,         403,    200),
  'POST /v1/ops/dead-letters/:id/replay':       row(401, 403,      403,         403,         403,         403,    202),
  'GET /v1/ops/orders/awaiting-merchant':       row(401, 403,      403,         403,         403,         403,    200),
  'GET /v1/ops/orders/scheduled':               row(401, 403,      403,         403,         403,         403,    200),
  'GET /v1/ops/drivers':                        row(401, 403,      403,         403,         403,         403,    200).query(({ world }) => ({ cityId: world.cityId })),
  // Service zones (ADR 0110): the world's city keeps no zones (null, null: as it was)
  'GET /v1/ops/cities/:id/zones':               row(401, 403,      403,         403,         403,         403,    200),
  'PUT /v1/ops/cities/:id/zones':               row(401, 403,      403,         403,         403,         403,    200).body(() => ({ zones: null, feeSchedule: null })),
  // Ends every session of an account (ADR 0082): a fresh customer each time, so the world's tokens stay live.
  'DELETE /v1/ops/users/:userId/sessions':      row(401, 403,      403,         403,         403,         403,    200),
  // Operators in control (ADR 0112). The operator's assign passes authorization and is refused with 409 because the
  // matrix's drivers have no live connection; the real assignment is test/workers/ops-control.test.ts.
  // Operators may: the own order (driver: world.driver) asked to go to world.otherDriver, who never connects in the
  // matrix, is a 409 driver-unavailable from the shard; the other order already has world.otherDriver: 200 unchanged.
  // (world.driver may be online in the shard by then, depending on which rows ran first: never the target.)
  'POST /v1/ops/orders/:id/assign':             row(401, 403,      403,         403,         403,         403,    [409, 200])
    .body(({ world }) => ({ driverId: world.otherDriver.user.driverId!, reason: 'matrix' })),
  'POST /v1/ops/orders/:id/cancel':             row(401, 403,      403,         403,         403,         403,    200).body(() => ({ reason: 'matrix' })),
  'POST /v1/ops/drivers/:id/offline':           row(401, 403,      403,         403,         403,         403,    200).body(() => ({ reason: 'matrix' })),
  'POST /v1/ops/drivers/:id/messages':          row(401, 403,      403,         403,         403,         403,    200).body(() => ({ text: 'matrix' })),
  'GET /v1/ops/orders/stuck':                   row(401, 403,      403,         403,         403,         403,    200).query(({ world }) => ({ cityId: world.cityId })),

  // Merchants and catalog (issue 4): the owner changes its merchant, operators only suspend it
  'PATCH /v1/merchants/:id':                    row(401, 403,      [200, 404],  [403, 404],  [403, 404],  403,    200)
    .body(({ role }) => (role === 'ops' ? { suspended: false } : { name: 'Matrix shop' })),
  'POST /v1/merchants/:id/products':            row(401, 403,      [201, 404],  [403, 404],  [201, 404],  403,    403).body(() => ({ name: 'Matrix soup', priceCents: 650 })),
  'PATCH /v1/merchants/:id/products/:productId': row(401, 403,     [200, 404],  [403, 404],  [200, 404],  403,    403).body(() => ({ available: false })),
  // The merchant's live feed (a plain request from an allowed caller gets 426)
  'GET /v1/merchants/:id/live':                 row(401, 403,      [426, 404],  [426, 404],  [426, 404],  403,    403),
  // Orders (issue 4)
  'POST /v1/orders':                            row(401, 201,      403,         403,         201,         403,    403)
    .body(matrixOrderBody).headers(() => ({ 'Idempotency-Key': `matrix-${crypto.randomUUID()}` })),
  'GET /v1/orders':                             row(401, 200,      200,         200,         200,         200,    200),
  'GET /v1/orders/:id':                         row(401, [200, 404], [200, 404], [200, 404],  [200, 404],  [200, 404], 404),
  'GET /v1/orders/:id/events':                  row(401, [200, 404], [200, 404], [200, 404],  [200, 404],  [200, 404], 404),
  'GET /v1/orders/:id/tracking':                row(401, [200, 404], [200, 404], [200, 404],  [200, 404],  [200, 404], 404),
  // The link is the credential: whoever holds it, signed in or not.
  'GET /v1/track/:token':                       ALL(200),
  'GET /v1/orders/:id/payment':                 row(401, [200, 404], [200, 404], [200, 404],  [200, 404],  [403, 404], 404),
  'POST /v1/orders/:id/accept':                 row(401, [403, 404], [200, 404], [200, 404],  [200, 404],  [403, 404], 403),
  'POST /v1/orders/:id/reject':                 row(401, [403, 404], [200, 404], [200, 404],  [200, 404],  [403, 404], 403),
  'POST /v1/orders/:id/ready':                  row(401, [403, 404], [200, 404], [200, 404],  [200, 404],  [403, 404], 403),
  'POST /v1/orders/:id/arrived':                row(401, [403, 404], [403, 404], [403, 404],  [403, 404],  [200, 404], 403),
  'POST /v1/orders/:id/pickup':                 row(401, [403, 404], [403, 404], [403, 404],  [403, 404],  [200, 404], 403),
  'POST /v1/orders/:id/deliver':                row(401, [403, 404], [403, 404], [403, 404],  [403, 404],  [200, 404], 403).body(() => ({ pin: MATRIX_PIN })),
  'POST /v1/orders/:id/fail':                   row(401, [403, 404], [403, 404], [403, 404],  [403, 404],  [200, 404], 403),
  // Delivery proof photos: the assigned driver uploads (raw image body); the order's parties and operators read
  'POST /v1/orders/:id/proof-photos':           row(401, [403, 404], [403, 404], [403, 404],  [403, 404],  [201, 404], 403)
    .body(() => MATRIX_JPEG).headers(() => ({ 'Content-Type': 'image/jpeg' })),
  'GET /v1/orders/:id/proof-photos/:photoId':   row(401, [200, 404], [200, 404], [200, 404],  [200, 404],  [200, 404], 200),
  'POST /v1/orders/:id/cancel':                 row(401, [200, 404], [200, 404], [200, 404],  [200, 404],  [403, 404], 403),
  // Order chat (ADR 0113): the order's parties only; operators are none
  'GET /v1/orders/:id/messages':                row(401, [200, 404], [200, 404], [200, 404],  [200, 404],  [200, 404], 403),
  'POST /v1/orders/:id/messages':               row(401, [201, 404], [201, 404], [201, 404],  [201, 404],  [201, 404], 403)
    .body(({ role }) => (role === 'driver' ? { thread: 'customer_driver', body: 'matrix' } : { body: 'matrix' })),
  // Stripe proves itself with Stripe-Signature: anyone without one gets 400
  'POST /v1/webhooks/stripe':                   ALL(400).body(() => ({ id: 'evt_matrix', type: 'payment_intent.succeeded' })),
};
