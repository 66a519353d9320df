/**
 * Every problem `type` the API answers with (RFC 9457), its status and the
 * extension members it carries beside type, title, status, detail, instance
 * and requestId. docs/problems.md is this list for people; the OpenAPI
 * document's Problem schema names the members; test/unit/problem-types.test.ts
 * checks that the code throws no type missing here and that the page lists
 * every one. Data only: no runtime imports.
 */
export interface ProblemType {
  /** The last segment of the type URI (PROBLEM_BASE + slug). */
  slug: string;
  statuses: readonly number[];
  /** Extension members in the body (beyond the RFC 9457 ones). */
  members: readonly string[];
  /** Response headers that come with it. */
  headers: readonly string[];
  when: string;
}

const t = (slug: string, statuses: number[], when: string, members: string[] = [], headers: string[] = []): ProblemType => ({ slug, statuses, members, headers, when });

export const PROBLEM_TYPES: readonly ProblemType[] = [
  t('malformed-request', [400], 'The body does not parse (invalid JSON).'),
  t('invalid-signature', [400, 403], 'A provider callback whose signature does not verify: Stripe (400), Twilio (403).'),
  t('unauthorized', [401], 'No credentials, or bad, expired or revoked ones.', [], ['WWW-Authenticate']),
  t('forbidden', [403], 'Authenticated, but this caller may not do this.'),
  t('csrf-refused', [403], 'An unsafe method or upgrade authenticated by a session cookie without this site’s Origin.'),
  t('wrong-password', [403], 'The password asked again (password change, ownership transfer, business closure) is wrong.'),
  t('not-found', [404], 'No such resource, or not yours; also a path carrying a refused character.'),
  t('illegal-transition', [409], 'The order’s current status (or dispatch state) does not allow this step.', ['currentStatus', 'currentDispatch']),
  t('order-scheduled', [409], 'A scheduled order is held until its release time (window start − prep time); the merchant accepts it from then.', ['releaseAt']),
  t('driver-unavailable', [409], 'An operator’s assignment the driver cannot take now: deactivated, not connected in the order’s area, holding another order (ADR 0112).', ['reason']),
  t('chat-closed', [409], 'A chat message on an order without a driver yet, or one that ended (ADR 0113).', ['reason']),
  t('concurrent-update', [409], 'The order kept changing while the step was applied; read it again and retry.'),
  t('idempotency-key-reused', [409], 'The Idempotency-Key was used before with a different request (method, path or body).'),
  t('idempotency-key-in-use', [409], 'A request with this Idempotency-Key is still running.', [], ['Retry-After']),
  t('email-taken', [409], 'An account with this email exists.'),
  t('no-password', [409], 'The account has no password to change.'),
  t('owner-membership', [409], 'The owner’s membership cannot be changed or removed.'),
  t('already-owner', [409], 'An ownership transfer to the current owner.'),
  t('merchant-closed', [409], 'The business is closed.'),
  t('open-orders', [409], 'The business still has open orders and cannot be closed.', ['openOrders', 'orderIds']),
  t('order-in-progress', [409], 'The account cannot be erased while one of its orders is open.', ['orderId']),
  t('owner-of-business', [409], 'The account owns a business: transfer or close it before erasing the account.', ['merchantId']),
  t('order-not-in-delivery', [409], 'Proof photos are taken while the order is in delivery.', ['currentStatus']),
  t('too-many-photos', [409], 'The order holds the most proof photos it may.', ['limit']),
  t('too-many-webhooks', [409], 'The merchant has registered the most webhook endpoints it may.'),
  t('already-replayed', [409], 'The dead letter was replayed already.'),
  t('body-too-large', [413], 'The body exceeds the route’s limit.'),
  t('unsupported-media-type', [415], 'The body is not of the declared type, or not UTF-8.'),
  t('unsupported-image', [415], 'A proof photo in a format not accepted.', ['accepted']),
  t('validation-failed', [422], 'Invalid fields, each named in `errors` (also a refused character in the query or body).', ['errors']),
  t('outside-service-area', [422], 'The drop-off lies outside every delivery zone of the city (or its radius), or farther from the shop than the fee schedule reaches (ADR 0110).', ['errors']),
  t('no-go-area', [422], 'The drop-off lies in a no-go area of the city: never delivered to (ADR 0110).', ['errors', 'zone']),
  t('pickup-only-area', [422], 'The drop-off lies in a pickup-only area: orders there are collected at the shop (ADR 0110).', ['errors', 'zone']),
  t('outside-opening-hours', [422], 'The shop is closed by its opening hours now; `opensAt` is its next opening, `timezone` the zone its hours are read in (ADR 0111).', ['errors', 'opensAt', 'timezone']),
  t('upgrade-required', [426], 'A WebSocket endpoint called without Upgrade: websocket.', [], ['Upgrade']),
  t('rate-limited', [429], 'Too many requests (also too many live connections); wait Retry-After seconds.', [], ['Retry-After']),
  t('internal-error', [500], 'An unexpected error, logged; never with internals.'),
  t('payment-provider-error', [502], 'The payment provider refused to open a payment for the order.'),
  t('dependency-unavailable', [503], 'A dependency (database, payment provider, rate limiter, shard) is down; retry after Retry-After seconds.', [], ['Retry-After']),
  t('http-error', [405], 'Any other HTTP-level refusal raised by the framework (its status as sent).'),
];
