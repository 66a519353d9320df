/**
 * Security and operations audit trail (who did what to which object). Kept
 * after erasure, which is why it points at ids only: once the user row is
 * erased the actor id is a pseudonym. The IP address is personal data;
 * erasure and the retention cron set it to null.
 */
import { index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { idColumn, tstz } from './columns';
import { actorType } from './enums';

export const auditLog = pgTable(
  'audit_log',
  {
    id: idColumn(),
    /** User, driver or API key id; no FK so entries outlive what they name. */
    actorId: text('actor_id'),
    actorType: actorType('actor_type').notNull(),
    /** Dotted verb, e.g. auth.login, api_key.revoke, merchant.suspend. */
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    ip: text('ip'),
    requestId: text('request_id'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    at: tstz('at').notNull().defaultNow(),
  },
  (t) => [
    index('audit_log_actor_at_idx').on(t.actorId, t.at),
    index('audit_log_action_at_idx').on(t.action, t.at),
    index('audit_log_target_idx').on(t.targetType, t.targetId, t.at),
  ],
);

export type AuditLogEntry = typeof auditLog.$inferSelect;
export type NewAuditLogEntry = typeof auditLog.$inferInsert;
