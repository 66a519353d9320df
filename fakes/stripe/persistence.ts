/**
 * The Stripe fake's memory across restarts of `npm start` (.data/fakes/stripe.json):
 * PaymentIntents with their charges, refunds and cards, events, saved
 * idempotent responses, webhook delivery attempts and the events still to
 * deliver. Without it, a refund for an order paid before a restart fails for
 * good ("No such payment_intent"). Injected faults and webhook chaos are
 * switches of a test run, not state: they are not kept.
 *
 * Bounded so a day of simulated orders is not rewritten every two seconds:
 * the newest 10,000 PaymentIntents (about a day at the simulator's 6 orders a
 * minute), 1,000 events and idempotent responses, 500 delivery attempts.
 */
import type { LedgerSnapshot, StripeLedger } from './engine';
import type { IdempotencyStore, SavedResponse } from './idempotency';
import type { EventObject } from './objects';
import { newest, stateFile, type StateFile } from '../shared/state-file';
import type { DeliveryAttempt, WebhookSender } from './webhooks';

interface StripeState {
  ledger: LedgerSnapshot;
  idempotency: [string, SavedResponse][];
  attempts: DeliveryAttempt[];
  pending: EventObject[];
}

export const KEPT = { paymentIntents: 10_000, events: 1_000, idempotentResponses: 1_000, attempts: 500 };

/** Restores what `file` holds into the (empty) fake and keeps the file up to date; call `changed()` after each change. */
export function persistStripeFake(
  file: string,
  parts: { ledger: StripeLedger; idempotency: IdempotencyStore; webhooks: WebhookSender },
  log?: (line: string) => void,
): StateFile<StripeState> {
  const { ledger, idempotency, webhooks } = parts;
  // Restored deliveries wait for the receiver (npm start starts the Worker after the fakes).
  const waiting: EventObject[] = [];
  const state = stateFile<StripeState>(
    file,
    () => ({
      ledger: ledger.snapshot(KEPT),
      idempotency: newest(idempotency.entries(), KEPT.idempotentResponses),
      attempts: newest(webhooks.attempts, KEPT.attempts),
      pending: [...waiting, ...webhooks.pending()],
    }),
    { delayMs: 2_000, ...(log ? { log } : {}) },
  );
  const saved = state.loaded;
  if (saved) {
    ledger.restore(saved.ledger);
    idempotency.restore(saved.idempotency);
    webhooks.attempts.push(...saved.attempts);
    // Deliveries cut short by the restart start over, as Stripe's retries would carry on.
    waiting.push(...saved.pending);
    if (waiting.length > 0 && webhooks.url) {
      void whenReachable(webhooks.url).then(() => {
        for (const event of waiting.splice(0)) webhooks.enqueue(event);
      });
    }
  }
  return state;
}

/** Resolves once `url` answers anything at all (at most 5 minutes of asking, once a second). */
async function whenReachable(url: string): Promise<void> {
  const deadline = Date.now() + 5 * 60_000;
  while (Date.now() < deadline) {
    try {
      await (await fetch(url, { signal: AbortSignal.timeout(1_000) })).arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
    }
  }
}
