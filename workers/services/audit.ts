/**
 * The security audit trail: who did what to which object, from where.
 * Actions are dotted verbs (the list lives in docs/decisions/0014-audit-log.md):
 *   auth.register, auth.login, auth.login_failed_burst, auth.logout,
 *   auth.refresh_reuse, api_key.create, api_key.revoke,
 *   merchant.staff_add, merchant.staff_role_change, merchant.staff_remove,
 *   operator.create
 * Rows point at ids only (no names, no emails), so they outlive erasure.
 */
import { newId } from '../../db/ids';
import { auditLog } from '../../db/schema/index';
import type { Db } from './auth/accounts';
import type { Principal, UserRole } from './auth/principal';

type ActorType = (typeof auditLog.$inferInsert)['actorType'];

export interface AuditActor {
  type: ActorType;
  id: string | null;
}

export interface AuditEntry {
  actor: AuditActor;
  action: string;
  target?: { type: string; id: string | null };
  /** Request context: the caller's IP (personal data, nulled by retention) and request id. */
  ip?: string | null;
  requestId?: string | null;
  metadata?: Record<string, unknown>;
}

/** Who acts, and from where: what a service needs to audit a change it makes. */
export interface AuditContext {
  actor: AuditActor;
  ip?: string | null;
  requestId?: string | null;
}

/** The platform itself (e.g. it detected a burst of failed sign-ins). */
export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null };

export const userActor = (userId: string, role: UserRole): AuditActor => ({ type: role, id: userId });

export function actorOf(principal: Principal): AuditActor {
  return principal.type === 'api_key' ? { type: 'merchant', id: principal.keyId } : userActor(principal.userId, principal.role);
}

export async function recordAudit(db: Db, entry: AuditEntry): Promise<string> {
  const id = newId('aud');
  await db.insert(auditLog).values({
    id,
    actorId: entry.actor.id,
    actorType: entry.actor.type,
    action: entry.action,
    targetType: entry.target?.type ?? null,
    targetId: entry.target?.id ?? null,
    ip: entry.ip ?? null,
    requestId: entry.requestId ?? null,
    metadata: entry.metadata ?? {},
  });
  return id;
}
