/**
 * Local stand-ins for the outside world (provider fakes) that `npm start`, the
 * browser tests and the benchmarks run beside the Worker. Each service starts
 * on loopback and returns the Worker variables that point the real provider
 * clients at it.
 *
 * To add one: write `start()` returning `{ vars, stop }` and append it to
 * LOCAL_SERVICES. `vars` become `wrangler dev --var NAME:value` overrides.
 */
import { stripeLocalService } from '../../test/fakes/stripe/local-service';
import { notificationsLocalService } from '../../test/fakes/notifications-local-service';
import { localCronService } from './local-cron';

export interface LocalServiceContext {
  /** Origin of the Worker (for fakes that call back, e.g. signed webhooks). */
  apiOrigin: string;
  /** The local secrets the Worker runs with (scripts/lib/local-env.ts). */
  secrets: Record<string, string>;
  log: (line: string) => void;
  /**
   * A folder where a fake keeps what it holds (a JSON file of its own) across
   * restarts of `npm start`; absent = memory only (tests).
   */
  stateDir?: string;
}

export interface RunningLocalService {
  name: string;
  vars: Record<string, string>;
  /** Shown in the start banner, e.g. a dashboard of what the fake received. */
  url?: string;
  stop(): Promise<void>;
}

export interface LocalService {
  name: string;
  start(ctx: LocalServiceContext): Promise<RunningLocalService>;
}

export const LOCAL_SERVICES: LocalService[] = [stripeLocalService, notificationsLocalService, localCronService];
