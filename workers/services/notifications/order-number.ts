/**
 * Which order number a message shows. The order's events carry it
 * (`data.number`, or their snapshot's); those that do not (payment.*, the
 * shard's arriving soon and offers) take it from the order row the
 * notification reads anyway. Never derived from the order's id.
 */
import type { EventEnvelope } from '../events/envelope';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

export function orderNumberOf(event: Pick<EventEnvelope, 'data'>, order: { number: string }): string {
  const snapshot = event.data.snapshot as { number?: unknown } | null | undefined;
  return str(event.data.number) ?? str(snapshot?.number) ?? order.number;
}
