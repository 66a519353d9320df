/**
 * A soak of the shard's own handling inside workerd: 100,000 fixes through
 * `webSocketMessage` (the handler the runtime calls for each frame), from
 * ten drivers of which one is on a trip with a watcher. It checks that every
 * fix was handled and the last one of each driver holds; the duration vitest
 * prints is the handler's cost without the runtime's socket plumbing
 * (recorded in docs/decisions/0039).
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { TestCityShard } from '../support/test-city-shard';
import { FRAME_LIMITS, FrameGuard } from '../../durable-objects/socket-limits';
import { connectDriver, east, freshShard, onlineDriver, order, watchOrder } from './city-shard-helpers';

const FIXES = 100_000;

describe('CityShard handler soak', () => {
  for (const batch of [1, 4]) {
    it(`handles ${FIXES.toLocaleString('en-US')} fixes, ${batch} per frame`, async () => {
      const { stub } = freshShard();
      const trip = await onlineDriver(stub, 'drv_trip', 0);
      await stub.dispatch(order('ord_soak'));
      trip.send({ type: 'offer.accept', offerId: (await trip.next('offer')).offerId });
      await trip.next('assignment');
      const watcher = await watchOrder(stub, 'ord_soak');
      await watcher.next('eta');
      const ids = ['drv_trip', ...Array.from({ length: 9 }, (_, d) => `drv_${d}`)];
      for (const id of ids.slice(1)) await (await connectDriver(stub, id)).next('session');
      // Fixes after the trip driver's first one, over 1,000 s: the object's clock runs ahead so none is "in the future".
      const t0 = Date.now() + 1_000;
      const before = (await stub.stats()).ingest;
      const last = await runInDurableObject(stub, async (instance: TestCityShard, state) => {
        instance.setClock(() => Date.now() + 1_100_000);
        // 10,000 frames a socket with no time passing: the frame-rate limit is lifted (its own test is test/security/sockets).
        instance.setFrameGuard(new FrameGuard({ ...FRAME_LIMITS, driver: { ...FRAME_LIMITS.driver, perSecond: Infinity, burst: Infinity } }));
        const sockets = ids.map((id) => state.getWebSockets(`driver:${id}`)[0]!);
        const lastFix = new Map<string, { lng: number; at: number }>();
        for (let i = 0; i < FIXES / batch; i++) {
          const points = Array.from({ length: batch }, (_, k) => {
            const n = i * batch + k;
            return { ...east(n % 200), at: new Date(t0 + n * 10).toISOString() };
          });
          lastFix.set(ids[i % 10]!, { lng: points[batch - 1]!.lng, at: t0 + (i * batch + batch - 1) * 10 });
          await instance.webSocketMessage(sockets[i % 10]!, JSON.stringify(batch === 1 ? { type: 'location', ...points[0] } : { type: 'locations', points }));
        }
        return [...lastFix];
      });
      const after = (await stub.stats()).ingest;
      expect(after.points - before.points).toBe(FIXES);
      expect(after.frames - before.frames).toBe(FIXES / batch);
      for (const [id, fix] of last) expect(await stub.driverState(id)).toMatchObject({ position: { lng: expect.closeTo(fix.lng, 9), at: fix.at } });
      // The trip's watcher got positions, coalesced (far fewer than the trip driver's fixes).
      const seen = watcher.all('location').length;
      expect(seen).toBeGreaterThan(10);
      expect(seen).toBeLessThanOrEqual(FIXES / 10 / batch + 1);
    }, 120_000);
  }
});
