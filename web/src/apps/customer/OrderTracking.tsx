import { useEffect } from 'react';
import { ConnectionStatus } from '../../components/ConnectionStatus';
import { ProblemAlert } from '../../components/ProblemAlert';
import { laterView, newerOrder } from '../../live/order-seq';
import { formatEta } from '../../live/eta';
import { useEtaCountdown } from '../../live/useEtaCountdown';
import { useOrderLive } from '../../live/useOrderLive';
import { Link } from '../../router';
import { dispatchLabel, formatDateTime, formatMoney, isTerminal, orderName, statusLabel } from '../shared/format';
import { OrderItemsTable } from '../shared/OrderItemsTable';
import { OrderLiveMap } from '../shared/OrderLiveMap';
import { OrderTimeline } from '../shared/OrderTimeline';
import { OrderChat } from '../shared/OrderChat';
import type { AppSession } from '../shared/session';
import { StatusPill } from '../shared/StatusPill';
import { isHeldOrder, ScheduledFor } from '../shared/ScheduledFor';
import type { DispatchState, Order, OrderEvent, OrderRefund, OrderStatus } from '../shared/types';
import { useAction, useSessionQuery } from '../shared/useSessionQuery';

export function OrderTracking({ session, orderId }: { session: AppSession; orderId: string }) {
  const live = useOrderLive(orderId, () => session.live());
  const refreshKey = `${live.status ?? ''}:${live.dispatch ?? ''}:${live.synced}`;
  const order = useSessionQuery<Order>(session, `/v1/orders/${encodeURIComponent(orderId)}`, refreshKey, { keep: newerOrder });
  const events = useSessionQuery<{ items: OrderEvent[] }>(session, `/v1/orders/${encodeURIComponent(orderId)}/events`, refreshKey);
  const { pending, problem, run } = useAction();
  const o = order.data;
  // The live channel and a fresh read can each be behind the other: the higher seq wins (live/order-seq.ts).
  const current = laterView({ status: live.status, dispatch: live.dispatch, seq: live.seq }, { status: o?.status, dispatch: o?.dispatch ?? null, seq: o?.seq });
  const status = current.status ?? null;

  // Until the webhook confirms payment the order is pending_payment: look again shortly.
  // Afterwards the live channel brings changes; a slow look is the backstop while it is down.
  const ended = status !== null && isTerminal(status);
  // The shard's ETA counted down between the driver's fixes (live/eta.ts); none once the order has ended.
  // The order's own view carries no ETA (the Order schema): until the live channel gives one, none is shown.
  const eta = useEtaCountdown(ended, live.etaSeconds, live.etaSeconds !== null ? live.etaAt : null);
  useEffect(() => {
    if (ended) return;
    const t = setInterval(order.reload, status === 'pending_payment' ? 2_000 : live.channel.state === 'open' ? 15_000 : 5_000);
    return () => clearInterval(t);
  }, [status, ended, live.channel.state, order.reload]);

  if (order.status === 'loading') return <p role="status">Loading your order…</p>;
  if (!o) return <ProblemAlert problem={order.problem!} context="Could not load the order" onRetry={order.reload} />;
  const canCancel = status === 'placed' || status === 'pending_payment';

  return (
    <article aria-labelledby="track-title" data-order-id={o.id}>
      <p>
        <Link to="/customer/orders">← Your orders</Link>
      </p>
      <div className="toolbar">
        <h2 id="track-title" style={{ margin: 0 }}>
          Order {orderName(o)}
        </h2>
        {status ? <StatusPill status={status} /> : null}
        <span className="spacer" />
        {!ended ? <ConnectionStatus state={live.channel.state} attempt={live.channel.attempt} online={live.channel.online} subject="Live tracking" /> : null}
      </div>
      <p className="lead" role="status" aria-live="polite" data-testid="tracking-headline" data-eta-seconds={eta ?? undefined}>
        {status && isHeldOrder({ ...o, status }) ? 'Paid and scheduled. The shop gets your order in time to have it ready for your window.' : headline(status, current.dispatch ?? live.dispatch, eta)}
      </p>
      {status ? <ScheduledFor order={{ ...o, status }} /> : null}
      {o.driver ? <OrderChat session={session} orderId={o.id} thread="customer_driver" title="Chat with your driver" refreshKey={live.chatSeq} open={!ended} /> : null}
      {o.deliveryPin && !ended ? (
        <div className="notice" aria-labelledby="pin-label">
          <p id="pin-label" style={{ margin: 0 }}>
            Your delivery code — give it to the driver at the door:
          </p>
          <p className="pin-code" data-testid="delivery-pin" style={{ margin: 0 }}>
            {o.deliveryPin}
          </p>
        </div>
      ) : null}
      {problem ? <ProblemAlert problem={problem} context="Not cancelled" /> : null}
      {o.refund ? <RefundNotice refund={o.refund} /> : null}
      <div className="grid-2">
        <section className="panel" aria-labelledby="map-title">
          <h3 id="map-title">Map</h3>
          <p className="muted" data-testid="driver-line">
            {o.driver ? `${o.driver.name ?? 'Your driver'} (${o.driver.vehicle})` : ended ? '' : 'A driver is assigned once the shop accepts.'}
            {live.driver ? ` · position updated ${new Date(live.driver.at).toLocaleTimeString()}` : ''}
          </p>
          <OrderLiveMap label={`Map of your order: shop, your address${live.driver ? ' and the driver' : ''}`} pickup={o.pickup?.location ?? null} dropoff={o.dropoff.location} driver={live.driver} trail={live.trail} driverName={o.driver?.name ?? null} viewer="customer" />
        </section>
        <div className="stack">
          <section className="panel" aria-labelledby="timeline-title">
            <h3 id="timeline-title">Progress</h3>
            <OrderTimeline events={events.data?.items ?? []} current={status} />
          </section>
          <section className="panel" aria-labelledby="items-title">
            <h3 id="items-title">Your order</h3>
            <OrderItemsTable order={o} />
            <p className="muted">
              Delivery to {o.dropoff.address}. Share tracking: <a className="wrap-anywhere" href={o.trackingUrl}>{o.trackingUrl}</a>
            </p>
            {canCancel ? (
              <button
                type="button"
                className="button button--secondary"
                disabled={pending !== null}
                onClick={() => {
                  if (window.confirm('Cancel this order? You are refunded in full.')) void run('cancel', () => session.fetch(`/v1/orders/${encodeURIComponent(o.id)}/cancel`, { method: 'POST' })).then(order.reload);
                }}
              >
                Cancel order
              </button>
            ) : null}
          </section>
        </div>
      </div>
    </article>
  );
}

/** The refund of an order that ended before delivery: how much, and where it stands. */
export function RefundNotice({ refund }: { refund: OrderRefund }) {
  const amount = formatMoney(refund.amountCents, refund.currency);
  const text =
    refund.status === 'succeeded'
      ? `Refunded ${amount} on ${formatDateTime(refund.updatedAt)}. Your bank shows it within 5 to 10 business days.`
      : refund.status === 'pending'
        ? `Refund of ${amount} under way: your card is credited as soon as the payment provider confirms it.`
        : `The refund of ${amount} has not gone through yet: our team retries it, nothing to do on your side.`;
  return (
    <p className={`notice${refund.status === 'failed' ? ' notice--warn' : ''}`} data-testid="refund" data-refund-status={refund.status}>
      {text}
    </p>
  );
}

/** What the customer most wants to know, in one sentence. */
function headline(status: OrderStatus | null, dispatch: DispatchState | null, eta: number | null): string {
  const arriving = eta === null ? '' : eta < 30 ? ' Arriving now.' : ` Arriving in about ${formatEta(eta)}.`;
  switch (status) {
    case null:
      return '';
    case 'pending_payment':
      return 'Confirming your payment…';
    case 'placed':
      return 'Paid. Waiting for the shop to accept your order.';
    case 'preparing':
    case 'ready':
      return `${status === 'ready' ? 'Ready at the shop' : 'The shop is preparing your order'}. ${dispatch ? `${dispatchLabel(dispatch)}.` : ''}${arriving}`;
    case 'in_delivery':
      return `On the way.${arriving}`;
    case 'delivered':
      return 'Delivered. Enjoy!';
    default:
      return `${statusLabel(status)}.`;
  }
}
