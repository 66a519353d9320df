/**
 * Merchant API keys: `dpk_<8 visible chars>_<32 secret chars>`. The visible
 * prefix tells keys apart in the UI; the whole key is shown once and stored as
 * a SHA-256 hash (a random 160-bit secret needs no slow hash: there is nothing
 * to brute-force).
 */
import { and, asc, eq, gt, isNull, or } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { newId, randomBase32 } from '../../../db/ids';
import { merchantApiKeys } from '../../../db/schema/index';
import { recordAudit, type AuditContext } from '../audit';
import type { Db } from './accounts';
import { decodeCursor, encodeCursor } from './cursor';
import { sha256Hex } from '../digest';

export const API_KEY_PATTERN = /^dpk_[0-9a-z]{8}_[0-9a-z]{32}$/;

export function generateApiKey(): { key: string; prefix: string } {
  const visible = randomBase32(8);
  const key = `dpk_${visible}_${randomBase32(32)}`;
  return { key, prefix: `dpk_${visible}` };
}

export async function hashApiKey(key: string): Promise<string> {
  return sha256Hex(key);
}

// ---------------------------------------------------------------------------
// Creation, listing and revocation (POST/GET/DELETE /v1/merchants/{id}/api-keys).

export interface ApiKeyView {
  id: string;
  prefix: string;
  name: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

type KeyRow = typeof merchantApiKeys.$inferSelect;
const toView = (row: KeyRow): ApiKeyView => ({
  id: row.id,
  prefix: row.prefix,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  revokedAt: row.revokedAt?.toISOString() ?? null,
});

/** Creates a key; the plaintext is returned here and never again. */
export async function createApiKey(
  db: Database,
  merchantId: string,
  input: { name?: string | undefined; createdBy: string },
  audit: AuditContext,
): Promise<{ view: ApiKeyView; key: string }> {
  return db.transaction((tx) => insertApiKey(tx, merchantId, input, audit));
}

/** Creates the key and its audit row inside the caller's transaction (the route's Idempotency-Key one). */
export async function insertApiKey(
  tx: Db,
  merchantId: string,
  input: { name?: string | undefined; createdBy: string },
  audit: AuditContext,
): Promise<{ view: ApiKeyView; key: string }> {
  const { key, prefix } = generateApiKey();
  const keyHash = await hashApiKey(key);
  const [row] = await tx
    .insert(merchantApiKeys)
    .values({ id: newId('key'), merchantId, prefix, keyHash, name: input.name?.trim() || null, createdBy: input.createdBy })
    .returning();
  await recordAudit(tx, { ...audit, action: 'api_key.create', target: { type: 'api_key', id: row!.id }, metadata: { merchantId, prefix } });
  return { view: toView(row!), key };
}

export async function listApiKeys(
  db: Database,
  merchantId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ items: ApiKeyView[]; nextCursor: string | null } | { kind: 'bad_cursor' }> {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  if (page.cursor !== undefined && !after) return { kind: 'bad_cursor' };
  const rows = await db
    .select()
    .from(merchantApiKeys)
    .where(
      and(
        eq(merchantApiKeys.merchantId, merchantId),
        after ? or(gt(merchantApiKeys.createdAt, after.at), and(eq(merchantApiKeys.createdAt, after.at), gt(merchantApiKeys.id, after.id))) : undefined,
      ),
    )
    .orderBy(asc(merchantApiKeys.createdAt), asc(merchantApiKeys.id))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return { items: items.map(toView), nextCursor: rows.length > page.limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null };
}

/**
 * Revokes a key of this merchant. Revoking an already revoked key succeeds
 * again without a second audit row; a key of another merchant is `not_found`.
 */
export async function revokeApiKey(db: Database, merchantId: string, keyId: string, audit: AuditContext): Promise<'revoked' | 'already_revoked' | 'not_found'> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ id: merchantApiKeys.id, revokedAt: merchantApiKeys.revokedAt, prefix: merchantApiKeys.prefix })
      .from(merchantApiKeys)
      .where(and(eq(merchantApiKeys.id, keyId), eq(merchantApiKeys.merchantId, merchantId)));
    if (!row) return 'not_found';
    if (row.revokedAt) return 'already_revoked';
    await tx.update(merchantApiKeys).set({ revokedAt: new Date() }).where(and(eq(merchantApiKeys.id, keyId), isNull(merchantApiKeys.revokedAt)));
    await recordAudit(tx, { ...audit, action: 'api_key.revoke', target: { type: 'api_key', id: keyId }, metadata: { merchantId, prefix: row.prefix } });
    return 'revoked';
  });
}
