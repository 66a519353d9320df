/**
 * The cron's payment backstop: refunds whose provider call failed after the
 * order was cancelled (the refund row is still `pending` without a provider
 * id) are asked for again, with the same idempotency key, so the customer is
 * refunded exactly once however often this runs.
 */
import { openDatabase } from '../../../db/client';
import { paymentProvider } from '../../providers/payments/index';
import { retryPendingRefunds } from './payments';

export async function retryPendingRefundsNow(env: Env, olderThanMs = 60_000): Promise<number> {
  // One client per invocation, never ended explicitly (docs/decisions/0003).
  const db = openDatabase(env.HYPERDRIVE.connectionString, { max: 1 });
  return retryPendingRefunds(db, paymentProvider(env), olderThanMs);
}
