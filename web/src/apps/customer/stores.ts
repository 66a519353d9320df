/**
 * The customer's delivery address and cart, kept in localStorage so a reload
 * (or paying in another tab) keeps them. A cart holds one merchant's items.
 */
import { useCallback, useSyncExternalStore } from 'react';
import type { LatLng } from '../../api/types';

export interface DeliveryAddress {
  address: string;
  location: LatLng;
  instructions?: string;
}

export interface CartLine {
  productId: string;
  name: string;
  priceCents: number;
  quantity: number;
  requiresPrescription?: boolean;
}

export interface Cart {
  merchantId: string;
  merchantName: string;
  currency: string;
  lines: CartLine[];
}

/** Addresses near the demo city's shops, to order from without typing (no geocoder offline). */
export const SAMPLE_ADDRESSES: DeliveryAddress[] = [
  { address: '8 Rue de Turenne, 75004 Paris', location: { lat: 48.8553, lng: 2.3634 } },
  { address: '5 Place de la République, 75003 Paris', location: { lat: 48.8674, lng: 2.3636 } },
  { address: '30 Boulevard Saint-Germain, 75005 Paris', location: { lat: 48.849, lng: 2.353 } },
  { address: '20 Rue du Faubourg Saint-Antoine, 75012 Paris', location: { lat: 48.8527, lng: 2.372 } },
  { address: '12 Rue Saint-Denis, 75001 Paris', location: { lat: 48.8589, lng: 2.348 } },
];

function storeHook<T>(key: string) {
  const read = (): string => {
    try {
      return window.localStorage.getItem(key) ?? '';
    } catch {
      return '';
    }
  };
  const subscribe = (onChange: () => void) => {
    const handler = (e: Event) => {
      if (!(e instanceof StorageEvent) || e.key === key) onChange();
    };
    window.addEventListener('storage', handler);
    window.addEventListener(`dp:${key}`, onChange);
    return () => {
      window.removeEventListener('storage', handler);
      window.removeEventListener(`dp:${key}`, onChange);
    };
  };
  const write = (value: T | null) => {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Not kept across reloads.
    }
    window.dispatchEvent(new Event(`dp:${key}`));
  };
  return function useStore(): [T | null, (value: T | null) => void] {
    const raw = useSyncExternalStore(subscribe, read, () => '');
    const set = useCallback((value: T | null) => write(value), []);
    let value: T | null;
    try {
      value = raw ? (JSON.parse(raw) as T) : null;
    } catch {
      value = null;
    }
    return [value, set];
  };
}

export const useDeliveryAddress = storeHook<DeliveryAddress>('dp.customer.address');
export const useCart = storeHook<Cart>('dp.customer.cart');

export function cartTotalCents(cart: Cart | null): number {
  return cart ? cart.lines.reduce((sum, l) => sum + l.priceCents * l.quantity, 0) : 0;
}

export function cartCount(cart: Cart | null): number {
  return cart ? cart.lines.reduce((n, l) => n + l.quantity, 0) : 0;
}
