/** The simulator's knobs, with the defaults `npm start` runs. */
export interface SimulationOptions {
  /** Origin of the platform, e.g. http://127.0.0.1:8787. */
  baseUrl: string;
  /** Simulated drivers, taken from the first demo drivers (at most 20). */
  drivers: number;
  /** Simulated customers (registered as sim-customer-N@demo.delivery). */
  customers: number;
  /** Orders placed per minute across all simulated customers (0: none). */
  ordersPerMinute: number;
  /** Seconds a merchant waits before accepting a simulated order. */
  acceptDelaySeconds: number;
  /** Seconds between accepting and marking ready (preparation). */
  prepSeconds: number;
  /** Seconds before the simulated merchant also accepts an order a person placed (0: never). */
  humanOrderGraceSeconds: number;
  /** A simulated order still without a driver this long after it was placed is cancelled by its merchant (0: never). */
  giveUpAfterSeconds: number;
  /** Share of offers a simulated driver declines (0..1). */
  declineRate: number;
  /**
   * Batching (ADR 0105): drivers take a second order stacked on the one they
   * carry. Off: they decline stacked offers (a fair "off" also turns the
   * city's `batching_enabled` off: scripts/batching-compare.ts does).
   */
  batching: boolean;
  /** Share of deliveries after which the driver takes a break: the app closed for 1 to 2.5 minutes (0..1). */
  breakRate: number;
  /**
   * Time compression of driving (1 = real town speeds). Distances stay real;
   * each vehicle's factor is capped so that no fix looks faster than 40 m/s
   * (the city shard refuses moves above 50 m/s).
   */
  speed: number;
  /** How often a driver's phone takes a fix, and how often the fixes are sent (ms). */
  fixEveryMs: number;
  flushEveryMs: number;
  /** The Stripe fake, to pay with the test card when the order answer does not say where. */
  stripeApiBase?: string | undefined;
  /** Where sessions are kept between runs, so a restart signs nobody in again (undefined: memory). */
  sessionFile?: string | undefined;
  /** Sign-ins per minute the simulator allows itself (the API limits 20 per IP). */
  loginsPerMinute: number;
  /** Each account's own client address (CF-Connecting-IP): its sign-ins are then not paced (the chaos suite; see SimApi). */
  clientAddress?: ((email: string) => string | undefined) | undefined;
  /** Stop after this many seconds (0: run until stopped). */
  durationSeconds: number;
  /** Seconds between two summary lines (0: none). */
  summaryEverySeconds: number;
  seed: number;
  log: (line: string) => void;
}

export const DEFAULTS: Omit<SimulationOptions, 'baseUrl' | 'log'> = {
  drivers: 17,
  customers: 3,
  ordersPerMinute: 6,
  acceptDelaySeconds: 5,
  prepSeconds: 20,
  humanOrderGraceSeconds: 45,
  giveUpAfterSeconds: 600,
  declineRate: 0.1,
  // SIM_BATCHING=off turns it off for `npm start` and `npm run simulate` alike.
  batching: process.env.SIM_BATCHING !== 'off',
  breakRate: 0.1,
  speed: 5,
  fixEveryMs: 2_000,
  flushEveryMs: 4_000,
  loginsPerMinute: 15,
  durationSeconds: 0,
  summaryEverySeconds: 30,
  seed: Date.now() % 100_000,
};

const FLAGS: Record<string, keyof SimulationOptions> = {
  '--base-url': 'baseUrl',
  '--drivers': 'drivers',
  '--customers': 'customers',
  '--order-rate': 'ordersPerMinute',
  '--accept-delay': 'acceptDelaySeconds',
  '--prep-time': 'prepSeconds',
  '--human-order-grace': 'humanOrderGraceSeconds',
  '--give-up-after': 'giveUpAfterSeconds',
  '--decline-rate': 'declineRate',
  '--batching': 'batching',
  '--break-rate': 'breakRate',
  '--speed': 'speed',
  '--fix-every-ms': 'fixEveryMs',
  '--flush-every-ms': 'flushEveryMs',
  '--stripe-url': 'stripeApiBase',
  '--session-file': 'sessionFile',
  '--logins-per-minute': 'loginsPerMinute',
  '--duration': 'durationSeconds',
  '--summary-every': 'summaryEverySeconds',
  '--seed': 'seed',
};

export const USAGE = `Usage: npm run simulate -- [options]
  --base-url URL           platform origin (default http://127.0.0.1:$PORT or :8787)
  --drivers N              simulated drivers, 0-20 (default ${DEFAULTS.drivers})
  --customers N            simulated customers (default ${DEFAULTS.customers})
  --order-rate N           orders per minute (default ${DEFAULTS.ordersPerMinute})
  --accept-delay S         merchant accepts after S seconds (default ${DEFAULTS.acceptDelaySeconds})
  --prep-time S            and marks ready S seconds later (default ${DEFAULTS.prepSeconds})
  --human-order-grace S    also accept orders placed by people after S s, 0 = never (default ${DEFAULTS.humanOrderGraceSeconds})
  --give-up-after S        merchants cancel a simulated order no driver took S s after it was placed,
                           0 = never (default ${DEFAULTS.giveUpAfterSeconds})
  --decline-rate P         share of offers declined, 0-1 (default ${DEFAULTS.declineRate})
  --batching on|off        drivers take a second order stacked on the one they carry
                           (default on; SIM_BATCHING=off)
  --break-rate P           share of deliveries followed by a 1-2.5 min break offline, 0-1 (default ${DEFAULTS.breakRate})
  --speed X                time compression of driving, 1 = real town speeds; capped per
                           vehicle so no fix looks faster than 40 m/s (default ${DEFAULTS.speed})
  --stripe-url URL         the Stripe fake (when the order answer does not name it)
  --session-file PATH      keep sessions between runs
  --duration S             stop after S seconds (default: run until Ctrl-C)
  --summary-every S        a summary line every S seconds, 0 = none (default ${DEFAULTS.summaryEverySeconds})
  --seed N                 random seed`;

/** Parses `--flag value` pairs; unknown flags throw with the usage text. */
export function parseArgs(argv: string[], base: Omit<SimulationOptions, 'log'>): Omit<SimulationOptions, 'log'> {
  const out: Record<string, unknown> = { ...base };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--help' || flag === '-h') throw new Error(USAGE);
    const key = FLAGS[flag];
    const value = argv[i + 1];
    if (!key || value === undefined) throw new Error(`Unknown or incomplete option ${flag}\n${USAGE}`);
    i++;
    const current = (base as Record<string, unknown>)[key];
    if (typeof current === 'boolean') {
      if (value !== 'on' && value !== 'off') throw new Error(`${flag} is on or off, got ${value}`);
      out[key] = value === 'on';
    } else if (typeof current === 'number' || (current === undefined && key !== 'stripeApiBase' && key !== 'sessionFile' && key !== 'baseUrl')) {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a number >= 0, got ${value}`);
      out[key] = n;
    } else out[key] = value;
  }
  const o = out as Omit<SimulationOptions, 'log'>;
  if (o.drivers > 20) throw new Error('--drivers: the demo city has 20 drivers');
  if (o.declineRate > 1) throw new Error('--decline-rate is a share between 0 and 1');
  if (o.breakRate > 1) throw new Error('--break-rate is a share between 0 and 1');
  if (o.speed <= 0) throw new Error('--speed must be above 0');
  return o;
}
