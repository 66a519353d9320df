/**
 * The demo accounts, offered on the sign-in panels only in a local build
 * (`vite build --mode demo`, what npm start serves) and only when the apps
 * run on this machine (loopback host). The build defines them
 * (scripts/lib/web-build.ts, ADR 0086): a production bundle has `null` here
 * and carries neither the demo password nor the demo emails.
 */
import type { AppName } from './session';

const ACCOUNTS: DemoAccounts | null = typeof __DEMO_ACCOUNTS__ === 'undefined' ? null : __DEMO_ACCOUNTS__;

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

export const SHOW_DEMO = ACCOUNTS !== null && typeof window !== 'undefined' && LOOPBACK.test(window.location.hostname);

export const DEMO_SIGN_IN: Record<AppName, { label: string; email: string }[]> = ACCOUNTS?.signIn ?? { merchant: [], driver: [], customer: [], ops: [] };

export const DEMO_PASSWORD: string = ACCOUNTS?.password ?? '';
