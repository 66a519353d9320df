import type { Catalog } from './types';

const driver = (name?: string) => name ?? 'Your driver';

export const en: Catalog = {
  'customer.order.placed': (v) => ({
    title: `Order ${v.orderRef} confirmed`,
    body: `${v.merchantName} has your order ${v.orderRef}${v.total ? ` (${v.total})` : ''}.${v.window ? ` Scheduled for ${v.window}.` : ''} Your delivery code is ${v.pin}: give it to the driver at the door.`,
    details: v.trackingUrl ? `Follow your order: ${v.trackingUrl}` : undefined,
  }),
  'customer.order.preparing': (v) => ({
    title: 'Your order is being prepared',
    body: `${v.merchantName} accepted your order ${v.orderRef} and is preparing it.`,
  }),
  'customer.order.assigned': (v) => ({
    title: 'A driver is on the job',
    body: `${driver(v.driverName)} will deliver your order ${v.orderRef} from ${v.merchantName}.`,
  }),
  'customer.order.in_delivery': (v) => ({
    title: 'Your order is on its way',
    body: `${driver(v.driverName)} picked up your order ${v.orderRef}. Delivery code: ${v.pin}. Track it: ${v.trackingUrl}`,
  }),
  'customer.order.arriving_soon': (v) => ({
    title: 'Your driver is almost there',
    body: `Your order ${v.orderRef} arrives in about ${v.etaMinutes ?? 5} min. Have your code ${v.pin} ready.`,
  }),
  'customer.order.delivered': (v) => ({
    title: 'Your order was delivered',
    body: `Order ${v.orderRef} from ${v.merchantName} was delivered. Enjoy!`,
  }),
  'customer.order.cancelled': (v) => ({
    title: 'Your order was cancelled',
    body: `Order ${v.orderRef} from ${v.merchantName} was cancelled${v.reason ? ` (${v.reason})` : ''}. If you paid, you will be refunded.`,
  }),
  'customer.order.rejected': (v) => ({
    title: 'Your order could not be accepted',
    body: `${v.merchantName} could not take your order ${v.orderRef}. If you paid, you will be refunded.`,
  }),
  'customer.order.failed': (v) => ({
    title: 'Your delivery could not be completed',
    body: `We could not deliver your order ${v.orderRef} from ${v.merchantName}. Our support team will contact you.`,
  }),
  'customer.order.released': (v) => ({
    title: 'Your scheduled order is starting',
    body: `${v.merchantName} now has your order ${v.orderRef} to prepare${v.window ? ` for ${v.window}` : ''}. It can no longer be cancelled free of charge once accepted.`,
  }),
  'customer.payment.refunded': (v) => ({
    title: 'Refund issued',
    body: `${v.refund ?? 'Your payment'} for order ${v.orderRef} was refunded. It can take a few days to appear on your statement.`,
  }),
  'merchant.order.placed': (v) => ({
    title: `New order ${v.orderRef}`,
    body: v.window
      ? `New scheduled order ${v.orderRef}${v.total ? ` (${v.total})` : ''} for ${v.merchantName}, for ${v.window}. You can accept it from ${v.releaseTime ?? 'its release'}.`
      : `New order ${v.orderRef}${v.total ? ` (${v.total})` : ''} for ${v.merchantName}. Open the merchant app to accept it.`,
  }),
  'merchant.order.released': (v) => ({
    title: `Scheduled order ${v.orderRef}: prepare it now`,
    body: `Scheduled order ${v.orderRef}${v.total ? ` (${v.total})` : ''} for ${v.merchantName} is due${v.window ? ` ${v.window}` : ''}. Accept it in the merchant app and start preparing.`,
  }),
  'merchant.order.escalated': (v) => ({
    title: `Order ${v.orderRef} is still waiting`,
    body: `Order ${v.orderRef}${v.total ? ` (${v.total})` : ''} for ${v.merchantName} has not been accepted. Accept or reject it now in the merchant app, or it will be cancelled and refunded.`,
  }),
  'merchant.order.cancelled': (v) => ({
    title: `Order ${v.orderRef} cancelled`,
    body: `Order ${v.orderRef} was cancelled${v.reason ? ` (${v.reason})` : ''}. Do not prepare it.`,
  }),
  'driver.dispatch.offer': (v) => ({
    title: 'New delivery offer',
    body: `Pickup at ${v.merchantName}${v.payout ? `, payout ${v.payout}` : ''}. Open the app to accept${v.expiresInSeconds ? ` within ${v.expiresInSeconds} s` : ''}.`,
  }),
  'driver.dispatch.ping': (v) => ({
    title: 'Are you still there?',
    body: `We have not heard from you for a few minutes about order ${v.orderRef} (${v.merchantName}). Open the app so we know you are on it.`,
  }),
  'driver.dispatch.released': (v) => ({
    title: 'Order given to another driver',
    body: `Order ${v.orderRef} from ${v.merchantName} was given to another driver: we had not heard from you for several minutes. Go online again when you are ready.`,
  }),
};

/** The email's last line, by who receives it (the template key's first part). */
export const enFooter = {
  customer: 'You receive this message about an order you placed. Manage notifications in your account settings.',
  merchant: 'You receive this message about an order placed with your shop. Manage notifications in your account settings.',
  driver: 'You receive this message about a delivery offered or assigned to you. Manage notifications in your account settings.',
} as const;
