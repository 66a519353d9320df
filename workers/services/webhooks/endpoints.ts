/** Merchant webhook endpoints and their delivery log, as the merchant sees them. */
import { and, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import { webhookDeliveries, webhookEndpoints, type WebhookDelivery, type WebhookEndpoint } from '../../../db/schema/index';
import { open, seal, type Keyring } from '../secrets/data-keys';
import { generateWebhookSecret } from './signature';

/** More endpoints than this per merchant is a mistake, not a need. */
export const MAX_ENDPOINTS_PER_MERCHANT = 10;

export function endpointView(e: WebhookEndpoint) {
  return { id: e.id, url: e.url, events: e.events, description: e.description, active: e.active, createdAt: e.createdAt.toISOString() };
}

export function deliveryView(d: WebhookDelivery) {
  return {
    id: d.id,
    eventId: d.eventId,
    event: d.eventType,
    attempt: d.attempt,
    trigger: d.trigger as 'event' | 'retry' | 'replay',
    status: d.status,
    statusCode: d.statusCode,
    latencyMs: d.latencyMs,
    error: d.error,
    nextRetryAt: d.nextRetryAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
  };
}

/** What a signing secret is sealed for: its own row (ADR 0083). */
const secretPurpose = (endpointId: string) => `webhook_endpoints.secret:${endpointId}`;

export const sealWebhookSecret = (ring: Keyring, endpointId: string, secret: string): Promise<string> => seal(ring, secretPurpose(endpointId), secret);

/** The endpoint's signing secret in clear, to sign a delivery with (rows from before ADR 0083: their plaintext column). */
export async function webhookSecretOf(ring: Keyring, endpoint: Pick<WebhookEndpoint, 'id' | 'secret' | 'secretSealed'>): Promise<string> {
  if (endpoint.secretSealed) return open(ring, secretPurpose(endpoint.id), endpoint.secretSealed);
  if (endpoint.secret) return endpoint.secret;
  throw new Error(`webhook endpoint ${endpoint.id} has no secret`);
}

/**
 * Inside the caller's transaction (the Idempotency-Key record commits with
 * it). The secret is stored sealed; the one copy in clear is the caller's,
 * to show once.
 */
export async function createEndpoint(
  tx: Pick<Database, 'execute' | 'select' | 'insert'>,
  ring: Keyring,
  merchantId: string,
  input: { url: string; events: string[]; description?: string | undefined },
): Promise<{ endpoint: WebhookEndpoint; secret: string } | 'too_many'> {
  // Serialises registrations of one merchant, so the limit holds under concurrency.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`webhook_endpoints:${merchantId}`}))`);
  const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(webhookEndpoints).where(eq(webhookEndpoints.merchantId, merchantId));
  if (n >= MAX_ENDPOINTS_PER_MERCHANT) return 'too_many';
  const id = newId('whk');
  const secret = generateWebhookSecret();
  const events = input.events.includes('*') ? ['*'] : [...new Set(input.events)];
  const [endpoint] = await tx
    .insert(webhookEndpoints)
    .values({ id, merchantId, url: input.url, events, secretSealed: await sealWebhookSecret(ring, id, secret), description: input.description ?? null })
    .returning();
  return { endpoint: endpoint!, secret };
}

export async function findEndpoint(db: Database, merchantId: string, endpointId: string): Promise<WebhookEndpoint | undefined> {
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.merchantId, merchantId)));
  return row;
}

export async function listEndpoints(db: Database, merchantId: string): Promise<WebhookEndpoint[]> {
  return db.select().from(webhookEndpoints).where(eq(webhookEndpoints.merchantId, merchantId)).orderBy(desc(webhookEndpoints.createdAt));
}

export async function deleteEndpoint(db: Database, merchantId: string, endpointId: string): Promise<boolean> {
  const rows = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.merchantId, merchantId)))
    .returning({ id: webhookEndpoints.id });
  return rows.length > 0;
}

export async function findDelivery(db: Database, endpointId: string, deliveryId: string): Promise<WebhookDelivery | undefined> {
  const [row] = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, endpointId)));
  return row;
}

/** Timestamps at the precision a cursor keeps (JS dates are milliseconds, Postgres microseconds). */
const msOf = (column: typeof webhookDeliveries.createdAt) => sql`date_trunc('milliseconds', ${column})`;

/** Newest attempt first; cursor = `createdAt|id` of the last item. */
export async function listDeliveries(
  db: Database,
  endpointId: string,
  options: { limit: number; cursor?: string | undefined; eventId?: string | undefined },
): Promise<{ items: WebhookDelivery[]; nextCursor: string | null }> {
  const where: SQL[] = [eq(webhookDeliveries.endpointId, endpointId)];
  if (options.eventId) where.push(eq(webhookDeliveries.eventId, options.eventId));
  if (options.cursor) {
    const [at, id] = options.cursor.split('|');
    const when = new Date(at ?? '');
    if (!id || Number.isNaN(when.getTime())) return { items: [], nextCursor: null };
    where.push(sql`(${msOf(webhookDeliveries.createdAt)}, ${webhookDeliveries.id}) < (${when.toISOString()}::timestamptz, ${id})`);
  }
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(and(...where))
    .orderBy(desc(msOf(webhookDeliveries.createdAt)), desc(webhookDeliveries.id))
    .limit(options.limit + 1);
  const items = rows.slice(0, options.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > options.limit && last ? `${last.createdAt.toISOString()}|${last.id}` : null };
}
