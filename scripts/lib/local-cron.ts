/**
 * wrangler dev does not fire cron triggers by itself. This local service asks
 * it to run the Worker's `scheduled` handler every minute, through the local
 * trigger endpoint miniflare exposes (/cdn-cgi/local/scheduled), so the
 * backstops that hang off the cron (outbox relay, webhook retry sweep) run
 * locally as in production. Nothing on the prompt path depends on it.
 */
import type { LocalService } from './local-services';

export const localCronService: LocalService = {
  name: 'cron',
  async start(ctx) {
    const url = `${ctx.apiOrigin}/cdn-cgi/local/scheduled?cron=${encodeURIComponent('* * * * *')}`;
    // LOCAL_CRON_EVERY_SECONDS: a faster tick (the chaos suite runs the sweeps every few seconds).
    const everyMs = Math.max(1, Number(process.env.LOCAL_CRON_EVERY_SECONDS ?? 60)) * 1000;
    const timer = setInterval(() => {
      // Before wrangler is up, or while it restarts, a tick is simply missed.
      void fetch(url).then((res) => res.arrayBuffer(), () => undefined);
    }, everyMs);
    timer.unref();
    return { name: 'cron', vars: {}, stop: async () => clearInterval(timer) };
  },
};
