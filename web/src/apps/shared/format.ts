/** Display helpers shared by the apps: money, times, distances, order numbers and status names. */
import { displayOrderNumber, TERMINAL_STATUSES } from '../../../../domain/order';
import type { DispatchState, OrderStatus } from './types';

/** The order vocabulary comes from domain/order.ts, the one list the server, the shard and the apps share. */
export { isTerminal, STATUS_PATH } from '../../../../domain/order';
/** The terminal statuses as a set (domain/order.ts TERMINAL_STATUSES); prefer isTerminal. */
export const TERMINAL: ReadonlySet<OrderStatus> = new Set(TERMINAL_STATUSES);

export function formatMoney(cents: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "3 min", "45 s", "1 h 5 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatDistance(metres: number): string {
  return metres < 1000 ? `${Math.round(metres)} m` : `${(metres / 1000).toFixed(1)} km`;
}

/** An ETA given as seconds or as an ISO arrival time, in seconds from `now`. */
export function etaSeconds(eta: number | string | null | undefined, now = Date.now()): number | null {
  if (eta === null || eta === undefined) return null;
  if (typeof eta === 'number') return eta;
  const t = Date.parse(eta);
  return Number.isNaN(t) ? null : Math.max(0, (t - now) / 1000);
}

export const STATUS_LABEL: Record<OrderStatus, string> = {
  pending_payment: 'Awaiting payment',
  placed: 'Placed',
  preparing: 'Preparing',
  ready: 'Ready for pickup',
  in_delivery: 'On the way',
  delivered: 'Delivered',
  cancelled: 'Cancelled',
  rejected: 'Rejected',
  failed: 'Failed',
};

export const DISPATCH_LABEL: Record<DispatchState, string> = {
  unassigned: 'Looking for a driver',
  offered: 'Offered to a driver',
  assigned: 'Driver assigned',
  picked_up: 'Picked up',
  dropped_off: 'Dropped off',
};

export function statusLabel(status: string): string {
  return (STATUS_LABEL as Record<string, string>)[status] ?? status;
}

export function dispatchLabel(state: string): string {
  return (DISPATCH_LABEL as Record<string, string>)[state] ?? state;
}

/** Great-circle distance in metres. */
export function distanceM(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const R = 6_371_000;
  const dLat = ((b.lat - a.lat) * Math.PI) / 180;
  const dLng = ((b.lng - a.lng) * Math.PI) / 180;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos((a.lat * Math.PI) / 180) * Math.cos((b.lat * Math.PI) / 180) * Math.sin(dLng / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}

/**
 * How an order is named to people: `#` + its number, as in every SMS, email
 * and push. Where a screen knows only an order's id (the shard's view of a
 * city), it shows the id itself rather than a code made from it, which
 * nobody else would recognise.
 */
export function orderName(order: { id: string; number?: string | null | undefined }): string {
  return order.number ? displayOrderNumber(order.number) : order.id;
}

/** A short handle for a driver's id (`drv_k3x9…` → `K3X9QZ`); orders are named by their number (orderName). */
export function shortDriverId(id: string): string {
  const i = id.indexOf('_');
  return i >= 0 ? id.slice(i + 1, i + 7).toUpperCase() : id;
}
