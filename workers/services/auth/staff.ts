/**
 * A merchant's staff accounts (docs/decisions/0013-authorization-model.md).
 * The owner creates them with an initial password it hands over, and a
 * narrower role: `manager` or `staff` (see MERCHANT_CAPABILITIES). Nobody but
 * the owner manages staff, and the owner's own membership cannot be changed
 * or removed here (ownership moves with a transfer, services/merchants/ownership.ts).
 * Every change is audited, and ends the member's sessions at once (ADR 0082).
 */
import { and, asc, eq, gt, or } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { merchantMembers, userProfiles } from '../../../db/schema/index';
import { recordAudit, type AuditContext } from '../audit';
import { EmailTakenError, insertAccount } from './accounts';
import { decodeCursor, encodeCursor } from './cursor';
import { hashPassword } from './password';
import type { MerchantStaffRole } from './principal';
import { endAllSessions, type RevocationDeps } from './revocation';
import { revokeAllSessions } from './sessions';

export type StaffRole = Exclude<MerchantStaffRole, 'owner'>;

export interface StaffMember {
  userId: string;
  email: string;
  name: string;
  phone: string | null;
  role: MerchantStaffRole;
  createdAt: string;
}

const memberColumns = {
  userId: merchantMembers.userId,
  email: userProfiles.email,
  name: userProfiles.name,
  phone: userProfiles.phone,
  role: merchantMembers.role,
  createdAt: merchantMembers.createdAt,
};

type MemberRow = { userId: string; email: string; name: string; phone: string | null; role: MerchantStaffRole; createdAt: Date };
const toMember = (row: MemberRow): StaffMember => ({ ...row, createdAt: row.createdAt.toISOString() });

export async function addStaff(
  /** The database, or the transaction an Idempotency-Key record commits with (the account is then a savepoint in it). */
  db: Pick<Database, 'transaction'>,
  merchantId: string,
  input: { email: string; password: string; name: string; phone?: string | undefined; role: StaffRole },
  audit: AuditContext,
): Promise<{ kind: 'ok'; member: StaffMember } | { kind: 'email_taken' }> {
  const password = await hashPassword(input.password);
  try {
    return await db.transaction(async (tx) => {
      const userId = await insertAccount(tx, { role: 'merchant', email: input.email, name: input.name, phone: input.phone ?? null, password });
      const [member] = await tx.insert(merchantMembers).values({ merchantId, userId, role: input.role }).returning();
      await recordAudit(tx, {
        ...audit,
        action: 'merchant.staff_add',
        target: { type: 'user', id: userId },
        metadata: { merchantId, role: input.role },
      });
      return {
        kind: 'ok' as const,
        member: toMember({ userId, email: input.email.trim(), name: input.name.trim(), phone: input.phone ?? null, role: input.role, createdAt: member!.createdAt }),
      };
    });
  } catch (error) {
    if (error instanceof EmailTakenError) return { kind: 'email_taken' };
    throw error;
  }
}

export async function listStaff(
  db: Database,
  merchantId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ items: StaffMember[]; nextCursor: string | null } | { kind: 'bad_cursor' }> {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  if (page.cursor !== undefined && !after) return { kind: 'bad_cursor' };
  const rows = await db
    .select(memberColumns)
    .from(merchantMembers)
    .innerJoin(userProfiles, eq(userProfiles.userId, merchantMembers.userId))
    .where(
      and(
        eq(merchantMembers.merchantId, merchantId),
        after
          ? or(gt(merchantMembers.createdAt, after.at), and(eq(merchantMembers.createdAt, after.at), gt(merchantMembers.userId, after.id)))
          : undefined,
      ),
    )
    .orderBy(asc(merchantMembers.createdAt), asc(merchantMembers.userId))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map(toMember),
    nextCursor: rows.length > page.limit && last ? encodeCursor({ at: last.createdAt, id: last.userId }) : null,
  };
}

export type StaffChangeOutcome = { kind: 'ok'; member: StaffMember } | { kind: 'not_found' } | { kind: 'owner' };

async function findMember(db: Pick<Database, 'select'>, merchantId: string, userId: string): Promise<MemberRow | undefined> {
  const [row] = await db
    .select(memberColumns)
    .from(merchantMembers)
    .innerJoin(userProfiles, eq(userProfiles.userId, merchantMembers.userId))
    .where(and(eq(merchantMembers.merchantId, merchantId), eq(merchantMembers.userId, userId)))
    .for('update', { of: merchantMembers });
  return row;
}

export async function changeStaffRole(
  db: Database,
  merchantId: string,
  userId: string,
  role: StaffRole,
  audit: AuditContext,
  revocation: RevocationDeps,
): Promise<StaffChangeOutcome> {
  return db.transaction(async (tx) => {
    const member = await findMember(tx, merchantId, userId);
    if (!member) return { kind: 'not_found' as const };
    if (member.role === 'owner') return { kind: 'owner' as const };
    if (member.role !== role) {
      await tx.update(merchantMembers).set({ role }).where(and(eq(merchantMembers.merchantId, merchantId), eq(merchantMembers.userId, userId)));
      // Every session ends at once (ADR 0082): the next sign-in carries the new role. Told before the
      // commit, so a registry that cannot be reached rolls the change back (503) rather than leaving
      // access tokens that still say the old role.
      await revokeAllSessions(tx, userId);
      await endAllSessions(revocation, { userId, merchantIds: [merchantId] }, 'staff_role_changed');
      await recordAudit(tx, {
        ...audit,
        action: 'merchant.staff_role_change',
        target: { type: 'user', id: userId },
        metadata: { merchantId, from: member.role, to: role },
      });
    }
    return { kind: 'ok' as const, member: toMember({ ...member, role }) };
  });
}

export async function removeStaff(
  db: Database,
  merchantId: string,
  userId: string,
  audit: AuditContext,
  revocation: RevocationDeps,
): Promise<Exclude<StaffChangeOutcome, { kind: 'ok' }> | { kind: 'ok' }> {
  return db.transaction(async (tx) => {
    const member = await findMember(tx, merchantId, userId);
    if (!member) return { kind: 'not_found' as const };
    if (member.role === 'owner') return { kind: 'owner' as const };
    await tx.delete(merchantMembers).where(and(eq(merchantMembers.merchantId, merchantId), eq(merchantMembers.userId, userId)));
    const revoked = await revokeAllSessions(tx, userId);
    // The member's access tokens and feed sockets end now, not when they expire (ADR 0082).
    await endAllSessions(revocation, { userId, merchantIds: [merchantId] }, 'staff_removed');
    await recordAudit(tx, {
      ...audit,
      action: 'merchant.staff_remove',
      target: { type: 'user', id: userId },
      metadata: { merchantId, role: member.role, sessionsRevoked: revoked },
    });
    return { kind: 'ok' as const };
  });
}

