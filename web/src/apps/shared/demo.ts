/**
 * The demo accounts, offered on the sign-in panels only when the apps run on
 * this machine (loopback host): a production build never advertises them.
 */
import { DEMO_CUSTOMER, DEMO_DRIVERS, DEMO_MERCHANTS, DEMO_OPS, DEMO_PASSWORD } from '../../../../scripts/lib/demo-city';
import type { AppName } from './session';

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

export const SHOW_DEMO = typeof window !== 'undefined' && LOOPBACK.test(window.location.hostname);

export const DEMO_SIGN_IN: Record<AppName, { label: string; email: string }[]> = {
  merchant: DEMO_MERCHANTS.map((m) => ({ label: m.name, email: m.ownerEmail })),
  // The last drivers: the simulator drives the first ones (see scripts/simulate.ts).
  driver: DEMO_DRIVERS.slice(-3).map((d) => ({ label: d.name, email: d.email })),
  customer: [{ label: DEMO_CUSTOMER.name, email: DEMO_CUSTOMER.email }],
  ops: [{ label: DEMO_OPS.name, email: DEMO_OPS.email }],
};

export { DEMO_PASSWORD };
