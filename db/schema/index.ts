/**
 * The whole Postgres schema, one module per domain. drizzle-kit reads this
 * file (drizzle.config.ts) and the app passes it to drizzle() for typed
 * queries.
 *
 * Erasure (DELETE /v1/me, GDPR Art. 17) in one transaction, by design of
 * where personal data lives:
 *   delete  user_profiles, password_credentials, refresh_tokens, devices,
 *           notification_preferences                       (keyed by user_id)
 *   blank   order_contacts of the user's orders (erased_at = now()),
 *   delete  delivery_proofs and proof_photos of those orders (the photos'
 *           R2 objects first, outside the transaction),
 *   delete  order_messages of those orders, and those the account sent as
 *           a driver (ADR 0113),
 *   round   orders.dropoff_lat/lng to 3 decimals,
 *   null    audit_log.ip where actor_id = the user,
 *   update  users set status = 'erased', erased_at = now()  (row kept)
 * Orders, payments, refunds and logs keep their ids and amounts; the user id
 * they carry then names nobody.
 */
export * from './enums';
export * from './cities';
export * from './identity';
export * from './merchants';
export * from './drivers';
export * from './catalog';
export * from './orders';
export * from './proof-photos';
export * from './dispatch';
export * from './payments';
export * from './outbox';
export * from './idempotency';
export * from './audit';
export * from './notifications';
export * from './webhooks';
export * from './order-messages';
