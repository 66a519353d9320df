/**
 * Local mode only (APP_ENV local/test): a copy of every message sent, with
 * its rendered text, for GET /v1/dev/outbox and the dev outbox page. Never
 * written in production, where the log keeps only a hash of the recipient.
 */
import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import { devMessages, type DevMessage } from '../../../db/schema/index';
import type { Channel } from './rules';

export interface CapturedMessage {
  channel: Channel;
  to: string;
  event: string;
  locale: string;
  subject?: string;
  body: string;
  orderId: string | null;
}

export async function captureMessage(db: Database, message: CapturedMessage): Promise<void> {
  await db.insert(devMessages).values({ id: newId('msg'), ...message, subject: message.subject ?? null });
}

/** The newest `limit` messages matching the filters, oldest first (the order they were sent). */
export async function listCapturedMessages(db: Database, filter: { orderId?: string; to?: string; limit?: number }): Promise<DevMessage[]> {
  const where: SQL[] = [];
  if (filter.orderId) where.push(eq(devMessages.orderId, filter.orderId));
  if (filter.to) where.push(eq(devMessages.to, filter.to));
  const rows = await db
    .select()
    .from(devMessages)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(devMessages.at), desc(devMessages.id))
    .limit(filter.limit ?? 500);
  return rows.reverse();
}
