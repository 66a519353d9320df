/**
 * Operators (ops/admin) are created by a command, never by sign-up:
 * `npm run ops:create` (scripts/create-operator.ts) and the demo seed. The
 * creation is audited as the role grant it is.
 */
import type { Database } from '../../../db/client';
import { recordAudit, SYSTEM_ACTOR } from '../audit';
import { EmailTakenError, insertAccount } from './accounts';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password';

export type OperatorRole = 'ops' | 'admin';

export interface NewOperator {
  email: string;
  name: string;
  role: OperatorRole;
  password: string;
  /** Who ran the command (e.g. the OS user), kept in the audit row. */
  createdBy?: string;
}

export async function createOperator(db: Database, input: NewOperator): Promise<{ kind: 'ok'; userId: string } | { kind: 'email_taken' }> {
  if (input.password.length < MIN_PASSWORD_LENGTH || input.password.length > MAX_PASSWORD_LENGTH) {
    throw new RangeError(`the password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.email.trim())) throw new RangeError('not an email address');
  const password = await hashPassword(input.password);
  try {
    return await db.transaction(async (tx) => {
      const userId = await insertAccount(tx, { role: input.role, email: input.email, name: input.name, password });
      await recordAudit(tx, {
        actor: SYSTEM_ACTOR,
        action: 'operator.create',
        target: { type: 'user', id: userId },
        metadata: { role: input.role, via: 'command', ...(input.createdBy ? { createdBy: input.createdBy } : {}) },
      });
      return { kind: 'ok' as const, userId };
    });
  } catch (error) {
    if (error instanceof EmailTakenError) return { kind: 'email_taken' };
    throw error;
  }
}
