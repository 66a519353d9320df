import { AppFrame } from '../shared/AppFrame';
import { Account } from './Account';
import { Browse } from './Browse';
import { Checkout } from './Checkout';
import { MerchantPage } from './MerchantPage';
import { OrderHistory } from './OrderHistory';
import { OrderTracking } from './OrderTracking';
import { cartCount, useCart } from './stores';

/** The customer app: /customer (shops), /merchants/{id}, /checkout, /orders, /orders/{id}, /account. */
export function CustomerApp({ rest }: { rest: string }) {
  const [cart] = useCart();
  const merchant = /^\/merchants\/([^/]+)$/.exec(rest);
  const order = /^\/orders\/([^/]+)$/.exec(rest);
  const count = cartCount(cart);
  return (
    <AppFrame
      app="customer"
      title="Customer app"
      intro="Order from shops nearby and watch your delivery arrive live."
      roles={['customer']}
      tabs={[
        { to: '/customer', label: 'Shops' },
        { to: '/customer/checkout', label: count > 0 ? `Cart (${count})` : 'Cart' },
        { to: '/customer/orders', label: 'Orders' },
        { to: '/customer/account', label: 'Account' },
      ]}
    >
      {({ session }) =>
        merchant ? (
          <MerchantPage merchantId={decodeURIComponent(merchant[1]!)} />
        ) : order ? (
          <OrderTracking session={session} orderId={decodeURIComponent(order[1]!)} />
        ) : rest === '/checkout' ? (
          <Checkout session={session} />
        ) : rest === '/orders' ? (
          <OrderHistory session={session} />
        ) : rest === '/account' ? (
          <Account session={session} />
        ) : (
          <Browse />
        )
      }
    </AppFrame>
  );
}
