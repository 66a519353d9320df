/// <reference types="vite/client" />

/** The demo accounts of a local build; `null` in a production build (vite.config.ts `define`, ADR 0086). */
interface DemoAccounts {
  password: string;
  signIn: Record<'merchant' | 'driver' | 'customer' | 'ops', { label: string; email: string }[]>;
}
declare const __DEMO_ACCOUNTS__: DemoAccounts | null;
