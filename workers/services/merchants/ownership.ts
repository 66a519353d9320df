/**
 * A business changes hands or closes (ADR 0089), so that its owner can leave
 * the platform (GDPR Art. 17: DELETE /v1/me refuses an owner while the
 * business is theirs).
 *
 * - Transfer: the owner hands the business to one of its members (a manager
 *   or member of staff with an active account). In one transaction the member
 *   becomes the owner and the former owner a manager; both accounts' sessions
 *   end at once (their tokens say the old roles), so each signs in again with
 *   the new one. No acceptance step: the member already works for the
 *   business, and the handover is settled between them off the platform.
 * - Closure: refused while an order of the business is still open (nothing is
 *   cancelled or refunded behind the customers' backs: the owner finishes,
 *   rejects or cancels them first). Then the business stops taking orders for
 *   good (`closed_at`, `open` false), every membership ends — the owner's
 *   too — with every member's sessions, its API keys are revoked and its
 *   webhooks disabled. Orders, payments and the audit trail stay.
 *
 * Both are audited (merchant.ownership_transfer, merchant.close).
 */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { merchantApiKeys, merchantMembers, merchants, orders, users, webhookEndpoints } from '../../../db/schema/index';
import { OPEN_STATUSES } from '../../../domain/order';
import { recordAudit, type AuditContext } from '../audit';
import { endAllSessions, type RevocationDeps } from '../auth/revocation';
import { revokeAllSessions } from '../auth/sessions';

export type TransferOutcome =
  | { kind: 'ok'; merchantId: string; ownerId: string; previousOwnerId: string }
  | { kind: 'not_found' }
  | { kind: 'closed' }
  | { kind: 'not_owner' }
  | { kind: 'self' }
  | { kind: 'not_member' };

export async function transferOwnership(
  db: Database,
  merchantId: string,
  fromUserId: string,
  toUserId: string,
  audit: AuditContext,
  revocation: RevocationDeps,
): Promise<TransferOutcome> {
  return db.transaction(async (tx) => {
    const [merchant] = await tx.select({ id: merchants.id, closedAt: merchants.closedAt }).from(merchants).where(eq(merchants.id, merchantId)).for('update');
    if (!merchant) return { kind: 'not_found' as const };
    if (merchant.closedAt) return { kind: 'closed' as const };
    if (toUserId === fromUserId) return { kind: 'self' as const };
    const members = await tx
      .select({ userId: merchantMembers.userId, role: merchantMembers.role, status: users.status })
      .from(merchantMembers)
      .innerJoin(users, eq(users.id, merchantMembers.userId))
      .where(and(eq(merchantMembers.merchantId, merchantId), inArray(merchantMembers.userId, [fromUserId, toUserId])))
      .for('update', { of: merchantMembers });
    const from = members.find((m) => m.userId === fromUserId);
    const to = members.find((m) => m.userId === toUserId);
    if (from?.role !== 'owner') return { kind: 'not_owner' as const };
    if (!to || to.status !== 'active') return { kind: 'not_member' as const };

    const member = (userId: string) => and(eq(merchantMembers.merchantId, merchantId), eq(merchantMembers.userId, userId));
    await tx.update(merchantMembers).set({ role: 'manager' }).where(member(fromUserId));
    await tx.update(merchantMembers).set({ role: 'owner' }).where(member(toUserId));
    // Both tokens carry the old roles: every session of both ends before the commit (ADR 0082).
    for (const userId of [fromUserId, toUserId]) {
      await revokeAllSessions(tx, userId);
      await endAllSessions(revocation, { userId, merchantIds: [merchantId] }, 'ownership_transferred');
    }
    await recordAudit(tx, {
      ...audit,
      action: 'merchant.ownership_transfer',
      target: { type: 'merchant', id: merchantId },
      metadata: { from: fromUserId, to: toUserId, toPreviousRole: to.role, fromNewRole: 'manager' },
    });
    return { kind: 'ok' as const, merchantId, ownerId: toUserId, previousOwnerId: fromUserId };
  });
}

export type ClosureOutcome =
  | { kind: 'ok'; closedAt: Date; membersRemoved: number; apiKeysRevoked: number; webhooksDisabled: number }
  | { kind: 'not_found' }
  | { kind: 'closed' }
  | { kind: 'open_orders'; count: number; orderIds: string[] };

export async function closeBusiness(db: Database, merchantId: string, audit: AuditContext, revocation: RevocationDeps): Promise<ClosureOutcome> {
  return db.transaction(async (tx) => {
    // The row lock orders this closure after any change to the business in flight.
    const [merchant] = await tx.select({ id: merchants.id, closedAt: merchants.closedAt }).from(merchants).where(eq(merchants.id, merchantId)).for('update');
    if (!merchant) return { kind: 'not_found' as const };
    if (merchant.closedAt) return { kind: 'closed' as const };
    const open = await tx
      .select({ id: orders.id })
      .from(orders)
      .where(and(eq(orders.merchantId, merchantId), inArray(orders.status, OPEN_STATUSES)))
      .orderBy(orders.createdAt)
      .limit(20);
    if (open.length > 0) return { kind: 'open_orders' as const, count: open.length, orderIds: open.map((o) => o.id) };

    const closedAt = new Date();
    await tx.update(merchants).set({ closedAt, open: false, updatedAt: closedAt }).where(eq(merchants.id, merchantId));
    const removed = await tx.delete(merchantMembers).where(eq(merchantMembers.merchantId, merchantId)).returning({ userId: merchantMembers.userId, role: merchantMembers.role });
    for (const m of removed) {
      await revokeAllSessions(tx, m.userId);
      await endAllSessions(revocation, { userId: m.userId, merchantIds: [merchantId] }, 'business_closed');
    }
    const keys = await tx
      .update(merchantApiKeys)
      .set({ revokedAt: closedAt })
      .where(and(eq(merchantApiKeys.merchantId, merchantId), isNull(merchantApiKeys.revokedAt)))
      .returning({ id: merchantApiKeys.id });
    const hooks = await tx
      .update(webhookEndpoints)
      .set({ active: false })
      .where(and(eq(webhookEndpoints.merchantId, merchantId), eq(webhookEndpoints.active, true)))
      .returning({ id: webhookEndpoints.id });
    await recordAudit(tx, {
      ...audit,
      action: 'merchant.close',
      target: { type: 'merchant', id: merchantId },
      metadata: { members: removed.map((m) => ({ userId: m.userId, role: m.role })), apiKeysRevoked: keys.length, webhooksDisabled: hooks.length },
    });
    return { kind: 'ok' as const, closedAt, membersRemoved: removed.length, apiKeysRevoked: keys.length, webhooksDisabled: hooks.length };
  });
}
