/**
 * The live orders board: orders arrive without a reload (merchant feed), with
 * a chime and a badge; each column is a step of the kitchen's work.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ConnectionStatus } from '../../components/ConnectionStatus';
import { ProblemAlert } from '../../components/ProblemAlert';
import { TERMINAL_STATUSES } from '../../../../domain/order';
import { acceptsSeq, maxSeq, newerOrder, newerOrders, seqOf } from '../../live/order-seq';
import { useMerchantFeed, type FeedStatus } from '../../live/useMerchantFeed';
import { Link } from '../../router';
import { dispatchLabel, formatMoney, formatTime, isTerminal, orderName } from '../shared/format';
import type { AppSession } from '../shared/session';
import { StatusPill } from '../shared/StatusPill';
import type { Order, OrderStatus, Page } from '../shared/types';
import { toApiProblem, type ApiProblem } from '../../api/client';
import { audioReady, playChime, rememberSound, soundEnabledByUser, unlockAudio } from './chime';
import { OrderActions } from './OrderActions';
import { isHeldOrder, ScheduledFor } from '../shared/ScheduledFor';

const COLUMNS: { title: string; statuses: OrderStatus[]; limit?: number }[] = [
  { title: 'New', statuses: ['placed'] },
  { title: 'Preparing', statuses: ['preparing'] },
  { title: 'Ready for pickup', statuses: ['ready'] },
  { title: 'On the way', statuses: ['in_delivery'] },
  { title: 'Recently finished', statuses: [...TERMINAL_STATUSES], limit: 8 },
];

interface OrdersBoardProps {
  session: AppSession;
  merchantId: string;
  onNewCount: (n: number) => void;
}

export function OrdersBoard({ session, merchantId, onNewCount }: OrdersBoardProps) {
  const [orders, setOrders] = useState<Map<string, Order>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [sound, setSound] = useState(() => soundEnabledByUser() && audioReady());
  const fetching = useRef(new Set<string>());

  // Every version of an order (a read, a step's answer, a feed frame) replaces the one held only if it is not behind it.
  const upsert = useCallback((order: Order) => {
    setOrders((m) => {
      const kept = newerOrder(m.get(order.id), order);
      return kept === m.get(order.id) ? m : new Map(m).set(order.id, kept);
    });
  }, []);

  const load = useCallback(async () => {
    try {
      const page = await session.fetch<Page<Order>>('/v1/orders?limit=100');
      setOrders((m) => new Map(newerOrders([...m.values()], page.items).map((o) => [o.id, o])));
      setProblem(null);
    } catch (error) {
      setProblem(toApiProblem(error));
    } finally {
      setLoaded(true);
    }
  }, [session]);

  useEffect(() => {
    void load();
  }, [load]);

  const fetchOne = useCallback(
    async (orderId: string) => {
      if (fetching.current.has(orderId)) return undefined;
      fetching.current.add(orderId);
      try {
        const order = await session.fetch<Order>(`/v1/orders/${encodeURIComponent(orderId)}`);
        upsert(order);
        return order;
      } catch {
        // The next event or reload brings it.
        return undefined;
      } finally {
        fetching.current.delete(orderId);
      }
    },
    [session, upsert],
  );

  const onStatus = useCallback(
    (m: FeedStatus, live: boolean) => {
      const orderSeq = seqOf(m, 'orderSeq');
      setOrders((current) => {
        const known = current.get(m.orderId);
        // A frame behind the order held (a lower orderSeq) changes nothing; one without orderSeq applies, as before v1.1.
        if (!known || !acceptsSeq(known.seq, orderSeq)) return current;
        return new Map(current).set(m.orderId, { ...known, status: m.status, dispatch: m.dispatch, seq: maxSeq(known.seq, orderSeq) ?? known.seq });
      });
      // Details (items, driver, the order's number) come with the order itself.
      const read = fetchOne(m.orderId);
      if (m.status === 'placed') {
        void read.then((order) => setAnnouncement(`New order${order ? ` ${orderName(order)}` : ''} at ${formatTime(m.at)}`));
        if (live && sound) playChime();
      }
    },
    [fetchOne, sound],
  );

  const feed = useMerchantFeed({ merchantId, getSession: () => session.live(), onStatus, onResync: () => void load() });

  const all = [...orders.values()].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  // Held scheduled orders are not new work yet: they count once released (ADR 0108).
  const newCount = all.filter((o) => o.status === 'placed' && !isHeldOrder(o)).length;
  useEffect(() => {
    onNewCount(newCount);
    document.title = `${newCount > 0 ? `(${newCount}) ` : ''}Orders · Merchant console`;
  }, [newCount, onNewCount]);

  async function toggleSound() {
    if (sound) {
      setSound(false);
      rememberSound(false);
      return;
    }
    const ok = await unlockAudio();
    setSound(ok);
    rememberSound(ok);
    if (ok) playChime();
  }

  return (
    <section aria-labelledby="board-title">
      <div className="toolbar">
        <h2 id="board-title" style={{ margin: 0 }}>
          Orders{' '}
          {newCount > 0 ? (
            <span className="badge badge--new" data-testid="new-orders-badge">
              {newCount} new
            </span>
          ) : null}
        </h2>
        <span className="spacer" />
        <ConnectionStatus state={feed.state} attempt={feed.attempt} online={feed.online} subject="Order feed" whileDown="Missed orders arrive when it reconnects." />
        <button type="button" className="button button--secondary button--small" aria-pressed={sound} onClick={() => void toggleSound()}>
          {sound ? 'Sound on' : 'Turn sound on'}
        </button>
      </div>
      <div className="visually-hidden" aria-live="assertive" aria-atomic="true">
        {announcement}
      </div>
      {problem ? <ProblemAlert problem={problem} context="Could not load orders" onRetry={() => void load()} /> : null}
      {!loaded ? <p role="status">Loading orders…</p> : null}
      <div className="board">
        {COLUMNS.map((col) => {
          const items = all.filter((o) => col.statuses.includes(o.status)).slice(0, col.limit ?? 100);
          return (
            <section key={col.title} className="board__column" aria-label={`${col.title}: ${items.length}`}>
              <h3>
                {col.title} <span className="badge">{items.length}</span>
              </h3>
              {items.length === 0 ? <p className="muted">None</p> : null}
              <ul className="plain-list stack">
                {items.map((o) => (
                  <li key={o.id}>
                    <OrderCard session={session} order={o} onChanged={upsert} />
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
      </div>
    </section>
  );
}

/**
 * The time next to the status: when an order ended (delivered, or cancelled,
 * rejected, failed: its last change), else when it was placed.
 */
function cardTime(order: Order): string {
  if (order.status === 'delivered' && order.deliveredAt) return formatTime(order.deliveredAt);
  if (isTerminal(order.status)) return formatTime(order.updatedAt ?? order.deliveredAt ?? order.placedAt ?? order.createdAt);
  return `placed ${formatTime(order.placedAt ?? order.createdAt)}`;
}

function OrderCard({ session, order, onChanged }: { session: AppSession; order: Order; onChanged: (o: Order) => void }) {
  const items = order.items.reduce((n, i) => n + i.quantity, 0);
  return (
    <article className="order-card" data-order-id={order.id} data-status={order.status}>
      <h4 id={`order-${order.id}-title`} className="order-card__title">
        <Link to={`/merchant/orders/${order.id}`}>Order {orderName(order)}</Link>
      </h4>
      <p className="order-card__meta">
        <StatusPill status={order.status} /> <span className="muted" data-testid="order-card-time">{cardTime(order)}</span>
      </p>
      <p className="order-card__meta">
        {items} item{items === 1 ? '' : 's'} · {formatMoney(order.totals.totalCents, order.totals.currency)}
        {order.customer?.name ? ` · ${order.customer.name}` : ''}
      </p>
      {order.status === 'preparing' || order.status === 'ready' || order.status === 'in_delivery' ? (
        <p className="order-card__meta muted">
          {dispatchLabel(order.dispatch)}
          {order.driver?.name ? `: ${order.driver.name}` : ''}
        </p>
      ) : null}
      <ScheduledFor order={order} compact />
      {order.requiresPrescription ? <p className="order-card__meta"><span className="badge badge--warn">Prescription</span></p> : null}
      <OrderActions session={session} order={order} onChanged={onChanged} compact />
    </article>
  );
}
