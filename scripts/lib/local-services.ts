/**
 * Local stand-ins for the outside world (provider fakes) that `npm start`, the
 * browser tests and the benchmarks run beside the Worker. Each service starts
 * on loopback and returns the Worker variables that point the real provider
 * clients at it.
 *
 * To add one: write `start()` returning `{ vars, stop }` and append it to
 * LOCAL_SERVICES. `vars` become `wrangler dev --var NAME:value` overrides.
 */
import { stripeLocalService } from '../../fakes/stripe/local-service';
import { notificationsLocalService } from '../../fakes/notifications-local-service';
import { localCronService } from './local-cron';
import type { LocalService } from '../../fakes/shared/local-service';

export type { LocalService, LocalServiceContext, RunningLocalService } from '../../fakes/shared/local-service';

export const LOCAL_SERVICES: LocalService[] = [stripeLocalService, notificationsLocalService, localCronService];
