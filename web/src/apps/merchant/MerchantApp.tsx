import { useState } from 'react';
import { AppFrame } from '../shared/AppFrame';
import type { AppSession, SessionUser } from '../shared/session';
import type { Merchant } from '../shared/types';
import { useSessionQuery } from '../shared/useSessionQuery';
import { ApiKeys } from './ApiKeys';
import { BusyMode } from './BusyMode';
import { CatalogEditor } from './CatalogEditor';
import { MerchantOrderDetail } from './MerchantOrderDetail';
import { OrdersBoard } from './OrdersBoard';
import { Webhooks } from './Webhooks';

/** The merchant console: /merchant (orders), /merchant/orders/{id}, /catalog, /api-keys, /webhooks. */
export function MerchantApp({ rest }: { rest: string }) {
  const [newCount, setNewCount] = useState(0);
  return (
    <AppFrame
      app="merchant"
      title="Merchant console"
      intro="Accept orders as they arrive, mark them ready, and follow each pickup live."
      roles={['merchant']}
      tabs={[
        { to: '/merchant', label: 'Orders', badge: newCount },
        { to: '/merchant/catalog', label: 'Catalog' },
        { to: '/merchant/api-keys', label: 'API keys' },
        { to: '/merchant/webhooks', label: 'Webhooks' },
      ]}
    >
      {({ user, session }) => <MerchantScreens user={user} session={session} rest={rest} onNewCount={setNewCount} />}
    </AppFrame>
  );
}

function MerchantScreens({ user, session, rest, onNewCount }: { user: SessionUser; session: AppSession; rest: string; onNewCount: (n: number) => void }) {
  const merchantId = user.merchantId;
  const merchant = useSessionQuery<Merchant>(session, merchantId ? `/v1/merchants/${encodeURIComponent(merchantId)}` : null);
  if (!merchantId) return <p role="alert">This account is not linked to a business.</p>;
  const order = /^\/orders\/([^/]+)$/.exec(rest);
  return (
    <>
      {merchant.data ? (
        <p className="muted">
          {merchant.data.name} · {merchant.data.address}
          {merchant.data.acceptingOrders === false ? <strong> · not taking orders</strong> : null}
        </p>
      ) : null}
      <BusyMode session={session} merchantId={merchantId} />
      {order ? (
        <MerchantOrderDetail session={session} orderId={decodeURIComponent(order[1]!)} />
      ) : rest === '/catalog' ? (
        <CatalogEditor session={session} merchantId={merchantId} isPharmacy={merchant.data?.kind === 'pharmacy'} />
      ) : rest === '/api-keys' ? (
        <ApiKeys session={session} merchantId={merchantId} />
      ) : rest === '/webhooks' ? (
        <Webhooks session={session} merchantId={merchantId} />
      ) : null}
      {/* The board stays mounted (hidden) on other screens, so the feed, badge and chime keep working. */}
      <div hidden={rest !== '' && rest !== '/'}>
        <OrdersBoard session={session} merchantId={merchantId} onNewCount={onNewCount} />
      </div>
    </>
  );
}
