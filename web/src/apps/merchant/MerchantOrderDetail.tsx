import { useEffect, useState } from 'react';
import { ConnectionStatus } from '../../components/ConnectionStatus';
import { ProblemAlert } from '../../components/ProblemAlert';
import { laterView, newerOrder } from '../../live/order-seq';
import { formatEta, hasEnded } from '../../live/eta';
import { useEtaCountdown } from '../../live/useEtaCountdown';
import { useOrderLive } from '../../live/useOrderLive';
import { Link } from '../../router';
import { DeliveryProofView } from '../shared/DeliveryProofView';
import { DispatchLogView } from '../shared/DispatchLogView';
import { dispatchLabel, formatDateTime, formatMoney, orderName, statusLabel } from '../shared/format';
import { OrderItemsTable } from '../shared/OrderItemsTable';
import { OrderLiveMap } from '../shared/OrderLiveMap';
import { OrderTimeline } from '../shared/OrderTimeline';
import { OrderChat } from '../shared/OrderChat';
import type { AppSession } from '../shared/session';
import { StatusPill } from '../shared/StatusPill';
import { ScheduledFor } from '../shared/ScheduledFor';
import type { Order, OrderEvent, PaymentSummary } from '../shared/types';
import { useSessionQuery } from '../shared/useSessionQuery';
import { OrderActions } from './OrderActions';

export function MerchantOrderDetail({ session, orderId }: { session: AppSession; orderId: string }) {
  const live = useOrderLive(orderId, () => session.live());
  // Every status change, and every reconnect, reloads the order and its history.
  const refreshKey = `${live.status ?? ''}:${live.dispatch ?? ''}:${live.synced}`;
  const order = useSessionQuery<Order>(session, `/v1/orders/${encodeURIComponent(orderId)}`, refreshKey, { keep: newerOrder });
  const events = useSessionQuery<{ items: OrderEvent[] }>(session, `/v1/orders/${encodeURIComponent(orderId)}/events`, refreshKey);
  const payment = useSessionQuery<PaymentSummary>(session, `/v1/orders/${encodeURIComponent(orderId)}/payment`, refreshKey);
  const [local, setLocal] = useState<Order | null>(null);
  useEffect(() => setLocal(null), [order.data]);
  // An ended order (any view saw it: a terminal status is final) shows no live dispatch or ETA (live/eta.ts).
  const ended = hasEnded(live.status, order.data?.status, local?.status);
  const eta = useEtaCountdown(ended, live.etaSeconds, live.etaAt);
  const pickupEta = useEtaCountdown(ended, live.pickupEtaSeconds, live.etaAt);

  if (order.status === 'loading') return <p role="status">Loading the order…</p>;
  if (order.status === 'error' && !order.data) return <ProblemAlert problem={order.problem} context="Could not load the order" onRetry={order.reload} />;
  const o = local ?? order.data!;
  // The live channel and the last read can each be behind the other: the higher seq wins (live/order-seq.ts).
  const current = laterView({ status: live.status, dispatch: live.dispatch, seq: live.seq }, { status: o.status, dispatch: o.dispatch, seq: o.seq });
  const status = current.status ?? o.status;

  return (
    <article aria-labelledby="order-title">
      <p>
        <Link to="/merchant">← All orders</Link>
      </p>
      <div className="toolbar">
        <h2 id="order-title" style={{ margin: 0 }}>
          Order {orderName(o)}
        </h2>
        <StatusPill status={status} />
        <span className="spacer" />
        {!ended ? <ConnectionStatus state={live.channel.state} attempt={live.channel.attempt} online={live.channel.online} subject="Live position" /> : null}
      </div>
      <ScheduledFor order={{ ...o, status }} />
      <OrderActions session={session} order={{ ...o, status }} onChanged={setLocal} />
      {o.driver ? <OrderChat session={session} orderId={o.id} thread="merchant_driver" title="Chat with the driver" refreshKey={live.chatSeq} open={!ended} /> : null}
      <div className="grid-2 section">
        <div className="stack">
          <section className="panel" aria-labelledby="map-title">
            <h3 id="map-title">Driver and route</h3>
            <p data-testid="dispatch-line" data-eta-seconds={eta ?? undefined}>
              {ended ? statusLabel(status) : dispatchLabel(current.dispatch ?? o.dispatch)}
              {o.driver ? `: ${o.driver.name ?? 'driver'} (${o.driver.vehicle})` : ''}
              {pickupEta !== null ? ` · at the shop in about ${formatEta(pickupEta)}` : ''}
              {eta !== null ? ` · arrives in about ${formatEta(eta)}` : ''}
            </p>
            <OrderLiveMap
              label={`Map of order ${orderName(o)}`}
              pickup={o.pickup?.location ?? null}
              dropoff={o.dropoff.location}
              driver={live.driver}
              trail={live.trail}
              driverName={o.driver?.name ?? null}
              viewer="merchant"
            />
          </section>
          <section className="panel" aria-labelledby="dispatch-title">
            <h3 id="dispatch-title">Dispatch decisions</h3>
            <DispatchLogView session={session} orderId={o.id} refreshKey={refreshKey} ended={ended} />
          </section>
        </div>
        <div className="stack">
          <section className="panel" aria-labelledby="items-title">
            <h3 id="items-title">Items</h3>
            <OrderItemsTable order={o} />
          </section>
          <section className="panel" aria-labelledby="customer-title">
            <h3 id="customer-title">Customer and delivery</h3>
            <dl className="kv">
              <dt>Name</dt>
              <dd>{o.customer?.name ?? '—'}</dd>
              <dt>Phone</dt>
              <dd>{o.customer?.phone ?? '—'}</dd>
              <dt>Address</dt>
              <dd>{o.dropoff.address ?? '—'}</dd>
              {o.dropoff.instructions ? (
                <>
                  <dt>Instructions</dt>
                  <dd>{o.dropoff.instructions}</dd>
                </>
              ) : null}
              <dt>Placed</dt>
              <dd>{formatDateTime(o.placedAt ?? o.createdAt)}</dd>
            </dl>
          </section>
          {o.deliveryProof ? (
            <section className="panel" aria-labelledby="proof-title">
              <h3 id="proof-title">Delivery</h3>
              <DeliveryProofView session={session} proof={o.deliveryProof} />
            </section>
          ) : null}
          <section className="panel" aria-labelledby="payment-title">
            <h3 id="payment-title">Payment</h3>
            {payment.status === 'success' ? (
              <dl className="kv">
                <dt>Status</dt>
                <dd data-testid="payment-status">{payment.data.status}</dd>
                <dt>Amount</dt>
                <dd>{formatMoney(payment.data.amountCents, payment.data.currency)}</dd>
                {payment.data.refundedCents > 0 ? (
                  <>
                    <dt>Refunded</dt>
                    <dd>{formatMoney(payment.data.refundedCents, payment.data.currency)}</dd>
                  </>
                ) : null}
              </dl>
            ) : payment.status === 'error' ? (
              <p className="muted">{payment.problem.status === 404 ? 'Paid outside the platform.' : payment.problem.title}</p>
            ) : (
              <p role="status">Loading…</p>
            )}
          </section>
          <section className="panel" aria-labelledby="timeline-title">
            <h3 id="timeline-title">Timeline</h3>
            <OrderTimeline events={events.data?.items ?? []} current={status} />
          </section>
        </div>
      </div>
    </article>
  );
}
