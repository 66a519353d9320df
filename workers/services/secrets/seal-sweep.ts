/**
 * The seal sweep (ADR 0083), on the minute cron: what migration 0007 could
 * not do without the data key.
 *
 * 1. Rows still holding a secret in clear (written before the migration, or
 *    by an old Worker during a deploy) are hashed and sealed, and their
 *    plaintext columns emptied, in one conditional UPDATE per table (a row
 *    changed meanwhile is left for the next run). A partial index lists
 *    those rows, so once none is left a run is one empty index probe.
 * 2. With more than one key configured (a rotation under way), rows sealed
 *    or hashed under any key but the first are done again under it; when a
 *    run finds none, the old key may be removed (docs/runbook.md).
 *
 * Bounded: `limit` rows a table and a step per run. Idempotent: a row is
 * only written if it still holds what was read.
 */
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../../../db/client';
import { log } from '../../../domain/log';
import { openDeliveryPin, openTrackingToken, pinPurpose, sealDeliveryPin, sealTrackingToken, trackingPurpose } from '../orders/codes';
import { sealWebhookSecret, webhookSecretOf } from '../webhooks/endpoints';
import { dataKeys, keyedHash, kidOf, seal, type Keyring } from './data-keys';

export interface SealSweepResult {
  /** Plaintext rows sealed this run. */
  sealedOrders: number;
  sealedEndpoints: number;
  /** Rows made under an older key, sealed again under the first. */
  resealedOrders: number;
  resealedEndpoints: number;
}

type Db = Pick<Database, 'execute'>;

const rows = <T>(result: unknown): T[] => result as T[];

interface PlainOrderRow {
  id: string;
  delivery_pin: string | null;
  tracking_token: string | null;
}

async function sealPlainOrders(db: Db, ring: Keyring, limit: number): Promise<number> {
  const found = rows<PlainOrderRow>(
    await db.execute(sql`select id, delivery_pin, tracking_token from orders where delivery_pin is not null or tracking_token is not null order by id limit ${limit}`),
  );
  if (found.length === 0) return 0;
  const values = await Promise.all(
    found.map(async (r) => ({
      id: r.id,
      old_pin: r.delivery_pin,
      old_token: r.tracking_token,
      ...(r.delivery_pin ? await sealDeliveryPin(ring, r.id, r.delivery_pin) : { deliveryPinHash: null, deliveryPinSealed: null }),
      ...(r.tracking_token ? await sealTrackingToken(ring, r.id, r.tracking_token) : { trackingTokenHash: null, trackingTokenSealed: null }),
    })),
  );
  const updated = rows<{ id: string }>(
    await db.execute(sql`
      update orders o set
        delivery_pin_hash = coalesce(v."deliveryPinHash", o.delivery_pin_hash),
        delivery_pin_sealed = coalesce(v."deliveryPinSealed", o.delivery_pin_sealed),
        tracking_token_hash = coalesce(v."trackingTokenHash", o.tracking_token_hash),
        tracking_token_sealed = coalesce(v."trackingTokenSealed", o.tracking_token_sealed),
        delivery_pin = null,
        tracking_token = null
      from jsonb_to_recordset(${JSON.stringify(values)}::jsonb)
        as v(id text, old_pin text, old_token text, "deliveryPinHash" text, "deliveryPinSealed" text, "trackingTokenHash" text, "trackingTokenSealed" text)
      where o.id = v.id and o.delivery_pin is not distinct from v.old_pin and o.tracking_token is not distinct from v.old_token
      returning o.id`),
  );
  return updated.length;
}

async function sealPlainEndpoints(db: Db, ring: Keyring, limit: number): Promise<number> {
  const found = rows<{ id: string; secret: string }>(await db.execute(sql`select id, secret from webhook_endpoints where secret is not null order by id limit ${limit}`));
  if (found.length === 0) return 0;
  const values = await Promise.all(found.map(async (r) => ({ id: r.id, old: r.secret, sealed: await sealWebhookSecret(ring, r.id, r.secret) })));
  const updated = rows<{ id: string }>(
    await db.execute(sql`
      update webhook_endpoints e set secret_sealed = v.sealed, secret = null
      from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(id text, old text, sealed text)
      where e.id = v.id and e.secret = v.old
      returning e.id`),
  );
  return updated.length;
}

interface SealedOrderRow {
  id: string;
  delivery_pin_hash: string | null;
  delivery_pin_sealed: string | null;
  tracking_token_sealed: string | null;
}

/** Whether a value was made under another key than the first. */
const stale = (ring: Keyring, value: string | null) => value !== null && kidOf(value) !== ring.primary.kid;

async function resealOrders(db: Db, ring: Keyring, limit: number): Promise<number> {
  const kid = ring.primary.kid;
  // split_part, not LIKE: a key id may hold `_`, a LIKE wildcard.
  const found = rows<SealedOrderRow>(
    await db.execute(sql`
      select id, delivery_pin_hash, delivery_pin_sealed, tracking_token_sealed from orders
      where split_part(delivery_pin_hash, '.', 1) <> ${kid} or split_part(delivery_pin_sealed, '.', 2) <> ${kid} or split_part(tracking_token_sealed, '.', 2) <> ${kid}
      order by id limit ${limit}`),
  );
  const values = [];
  for (const r of found) {
    if (![r.delivery_pin_hash, r.delivery_pin_sealed, r.tracking_token_sealed].some((v) => stale(ring, v))) continue;
    const row = { id: r.id, deliveryPin: null, trackingToken: null, deliveryPinSealed: r.delivery_pin_sealed, trackingTokenSealed: r.tracking_token_sealed };
    const pin = r.delivery_pin_sealed ? await openDeliveryPin(ring, row) : null;
    const token = r.tracking_token_sealed ? await openTrackingToken(ring, row) : null;
    values.push({
      id: r.id,
      old_hash: r.delivery_pin_hash,
      old_pin: r.delivery_pin_sealed,
      old_token: r.tracking_token_sealed,
      hash: pin ? await keyedHash(ring, pinPurpose(r.id), pin) : r.delivery_pin_hash,
      pin: pin ? await seal(ring, pinPurpose(r.id), pin) : null,
      token: token ? await seal(ring, trackingPurpose(r.id), token) : null,
    });
  }
  if (values.length === 0) return 0;
  const updated = rows<{ id: string }>(
    await db.execute(sql`
      update orders o set delivery_pin_hash = v.hash, delivery_pin_sealed = v.pin, tracking_token_sealed = v.token
      from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(id text, old_hash text, old_pin text, old_token text, hash text, pin text, token text)
      where o.id = v.id and o.delivery_pin_hash is not distinct from v.old_hash
        and o.delivery_pin_sealed is not distinct from v.old_pin and o.tracking_token_sealed is not distinct from v.old_token
      returning o.id`),
  );
  return updated.length;
}

async function resealEndpoints(db: Db, ring: Keyring, limit: number): Promise<number> {
  const found = rows<{ id: string; secret_sealed: string }>(
    await db.execute(sql`select id, secret_sealed from webhook_endpoints where split_part(secret_sealed, '.', 2) <> ${ring.primary.kid} order by id limit ${limit}`),
  );
  if (found.length === 0) return 0;
  const values = await Promise.all(
    found.map(async (r) => {
      const secret = await webhookSecretOf(ring, { id: r.id, secret: null, secretSealed: r.secret_sealed });
      return { id: r.id, old: r.secret_sealed, sealed: await sealWebhookSecret(ring, r.id, secret) };
    }),
  );
  const updated = rows<{ id: string }>(
    await db.execute(sql`
      update webhook_endpoints e set secret_sealed = v.sealed
      from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(id text, old text, sealed text)
      where e.id = v.id and e.secret_sealed = v.old
      returning e.id`),
  );
  return updated.length;
}

/** One run: plaintext rows first, then (during a rotation only) rows under an older key. */
export async function runSealSweep(db: Db, ring: Keyring, limit = 200): Promise<SealSweepResult> {
  const [sealedOrders, sealedEndpoints] = await Promise.all([sealPlainOrders(db, ring, limit), sealPlainEndpoints(db, ring, limit)]);
  const rotating = ring.byKid.size > 1;
  const [resealedOrders, resealedEndpoints] = rotating ? await Promise.all([resealOrders(db, ring, limit), resealEndpoints(db, ring, limit)]) : [0, 0];
  return { sealedOrders, sealedEndpoints, resealedOrders, resealedEndpoints };
}

/** The cron's entry: a run on its own connection, logged when it did something. */
export async function sealSweepNow(env: Env): Promise<SealSweepResult> {
  const result = await runSealSweep(openDatabase(env.HYPERDRIVE.connectionString, { max: 1 }), await dataKeys(env.DATA_ENCRYPTION_KEYS));
  if (Object.values(result).some((n) => n > 0)) log.info('seal sweep', { ...result });
  return result;
}
