/**
 * Response shapes of the API the apps read: aliases of the types generated
 * from the OpenAPI document (web/src/api/schema.gen.ts, `npm run api:types`),
 * so the apps and the server's schemas cannot drift apart (issue 17). Statuses
 * and dispatch states come from domain/order.ts, so the apps, the server,
 * the shard and the simulator agree on one list.
 */
import type { DispatchState, OrderStatus } from '../../../../domain/order';
import type * as Api from '../../api/schema.gen';

export type { DispatchState, OrderStatus };
export type Merchant = Api.Merchant;
export type MerchantKind = Merchant['kind'];
export type Vehicle = 'bike' | 'scooter' | 'car';

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export type Product = Api.Product;
export type Order = Api.Order;
export type OrderItem = Order['items'][number];
export type OrderRefund = NonNullable<Order['refund']>;
export type CreatedOrder = Api.CreatedOrder;
export type Tracking = Api.Tracking;
export type PaymentSummary = Api.Payment;
export type ApiKey = Api.ApiKey;
export type CreatedApiKey = Api.CreatedApiKey;

export interface OrderEvent {
  /** v1.1: the event's place in the order's timeline. */
  seq?: number;
  status: OrderStatus;
  at: string;
  actor?: string | null;
}

