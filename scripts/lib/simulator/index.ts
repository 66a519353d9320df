/**
 * The living demo city (docs/decisions/0055): simulated drivers, customers
 * and merchants acting through the public API and the live channels, like
 * the apps do. `npm start` runs it beside the platform; `npm run simulate`
 * runs it on its own against any running platform.
 */
import { DEMO_CITY, DEMO_DRIVERS, DEMO_MERCHANTS, DEMO_PASSWORD } from '../demo-city';
import { nextOrderGapMs } from './behaviour';
import { SimApi } from './client';
import { sleep, type SimContext, type SimMerchantInfo, type SimStats } from './context';
import { SimCustomer } from './customer';
import { SimDriver } from './driver';
import { seededRandom } from './geo';
import { SimLedger, summaryLine } from './ledger';
import { SimMerchant } from './merchant';
import type { SimulationOptions } from './options';

export { DEFAULTS, parseArgs, USAGE, type SimulationOptions } from './options';

export interface RunningSimulation {
  stats: SimStats;
  ledger: SimLedger;
  /** The summary line as printed now. */
  summary(): string;
  drivers: SimDriver[];
  /** Resolves once every simulated person is signed in and online. */
  ready: Promise<void>;
  /** No new orders from now on; merchants and drivers carry on with the open ones (the chaos suite's drain). */
  pauseOrders(): void;
  /**
   * Every driver stands still from now on: no new fix, the app still open (the
   * socket stays, queued fixes are still sent). The split-city check (chaos/split.ts) compares
   * each driver's last fix with what the shards hold.
   */
  freezeDrivers(): void;
  stop(): Promise<void>;
}

interface CityRow {
  id: string;
  name: string;
  center: { lat: number; lng: number };
}

export async function startSimulation(options: SimulationOptions): Promise<RunningSimulation> {
  const api = new SimApi(options.baseUrl, options.loginsPerMinute, options.sessionFile, options.clientAddress);
  let stopped = false;
  const lastWarn = new Map<string, number>();
  const stats: SimStats = { offersAccepted: 0, offersDeclined: 0, fixesSent: 0, errors: 0, assignmentToReadMs: [], assignmentReadsRefused: 0, handovers: 0, handoversWithOrder: 0 };
  const ledger = new SimLedger();

  const cities = await api.request<{ items: CityRow[] }>('/v1/cities');
  const city = cities.items.find((c) => c.name === DEMO_CITY.name) ?? cities.items[0];
  if (!city) throw new Error('no city to simulate: seed the demo city first');
  const merchants = await loadMerchants(api, city.id);

  const ctx: SimContext = {
    options,
    api,
    rand: seededRandom(options.seed),
    cityId: city.id,
    cityCenter: city.center,
    merchants,
    pins: new Map(),
    simOrders: new Set(),
    ledger,
    stats,
    stopped: () => stopped,
    warn: (key, line) => {
      stats.errors++;
      const now = Date.now();
      if ((lastWarn.get(key) ?? 0) > now - 60_000) return;
      lastWarn.set(key, now);
      options.log(`warning: ${line}`);
    },
  };

  const simMerchants = DEMO_MERCHANTS.map((m) => new SimMerchant(ctx, m.ownerEmail, DEMO_PASSWORD));
  const customers = Array.from({ length: options.customers }, (_, i) => new SimCustomer(ctx, `sim-customer-${i + 1}@demo.delivery`, DEMO_PASSWORD, `Sim Customer ${i + 1}`));
  const drivers = DEMO_DRIVERS.slice(0, options.drivers).map((d) => new SimDriver(ctx, d, DEMO_PASSWORD));
  const readyCustomers: SimCustomer[] = [];

  // Sign-ins are paced (SimApi), so people come online one after another.
  // Customers first: they remember their orders still open from a previous run, which the merchants then carry on with.
  const startAll = async () => {
    for (const c of customers) {
      await c.start().then(
        () => readyCustomers.push(c),
        (e: unknown) => ctx.warn(`start-${c.email}`, `customer ${c.email} not started: ${String(e)}`),
      );
    }
    for (const m of simMerchants) await m.start().catch((e: unknown) => ctx.warn(`start-${m.email}`, `merchant ${m.email} not started: ${String(e)}`));
    for (const d of drivers) {
      if (stopped) return;
      await d.start().catch((e: unknown) => ctx.warn(`start-${d.demo.email}`, `driver ${d.demo.email} not started: ${String(e)}`));
    }
  };
  const ready = startAll();

  // Orders arrive as a Poisson process at the configured rate.
  const inFlight = new Set<Promise<unknown>>();
  let ordersPaused = false;
  // Arrivals draw from their own stream of the seed, so two runs with the same seed place orders at the same
  // moments whatever the drivers and shops did meanwhile (the batching comparison, ADR 0105, compares such runs).
  const arrivals = seededRandom(options.seed + 1);
  const orderLoop = async () => {
    if (options.ordersPerMinute <= 0) return;
    while (!stopped) {
      await sleep(nextOrderGapMs(arrivals, options.ordersPerMinute));
      if (stopped) return;
      const customer = readyCustomers[Math.floor(arrivals() * readyCustomers.length)];
      if (!customer || ordersPaused || inFlight.size >= 5) continue;
      const p = customer
        .placeOrder()
        .catch((e: unknown) => ctx.warn('order', `order not placed: ${String(e)}`))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  };
  const orders = orderLoop();

  const summary = () => {
    const d = { idle: 0, busy: 0, onBreak: 0 };
    for (const driver of drivers) {
      if (driver.brain.phase === 'break') d.onBreak++;
      else if (driver.brain.busy) d.busy++;
      else d.idle++;
    }
    return summaryLine(ledger.summary(), d, stats);
  };
  const statsTimer = options.summaryEverySeconds > 0 ? setInterval(() => options.log(summary()), options.summaryEverySeconds * 1000) : null;

  const durationTimer = options.durationSeconds > 0 ? setTimeout(() => void stop(), options.durationSeconds * 1000) : null;

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      stopped = true;
      api.stop();
      if (statsTimer) clearInterval(statsTimer);
      if (durationTimer) clearTimeout(durationTimer);
      for (const m of simMerchants) m.stop();
      await Promise.all(drivers.map((d) => d.stop().catch(() => undefined)));
      await Promise.race([Promise.allSettled([...inFlight, orders]), sleep(5_000)]);
    })();
    return stopping;
  };

  return { stats, ledger, summary, drivers, ready: ready.then(() => undefined), pauseOrders: () => void (ordersPaused = true), freezeDrivers: () => drivers.forEach((d) => d.freeze()), stop };
}

async function loadMerchants(api: SimApi, cityId: string): Promise<SimMerchantInfo[]> {
  const page = await api.request<{ items: { id: string; name: string; kind: string; location: { lat: number; lng: number } }[] }>(`/v1/merchants?cityId=${encodeURIComponent(cityId)}&limit=100`);
  const out: SimMerchantInfo[] = [];
  // A shop with opening hours would close during a run (and refuse orders, 422): the simulator orders around the clock only.
  const withHours = new Set(DEMO_MERCHANTS.filter((d) => d.openingHours).map((d) => d.name));
  for (const m of page.items) {
    if (withHours.has(m.name)) continue;
    const products = await api.request<{ items: SimMerchantInfo['products'] }>(`/v1/merchants/${encodeURIComponent(m.id)}/products?limit=100`);
    out.push({ ...m, products: products.items });
  }
  return out;
}
