/**
 * `npm run simulate`: the living demo city against a running platform
 * (`npm start -- --no-simulate` in another terminal, or any deployment you
 * own). `npm run simulate -- --help` lists the options.
 */
import path from 'node:path';
import { DATA_DIR, LOCAL_PORTS } from './lib/local-env';
import { DEFAULTS, parseArgs, startSimulation } from './lib/simulator/index';

const log = (line: string) => console.log(`[simulate] ${line}`);

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2), {
      ...DEFAULTS,
      baseUrl: `http://127.0.0.1:${LOCAL_PORTS.api}`,
      sessionFile: path.join(DATA_DIR, 'simulator-sessions.json'),
    });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
  log(`against ${options.baseUrl}: ${options.drivers} drivers, ${options.customers} customers, ${options.ordersPerMinute} orders/min, driving ×${options.speed} (seed ${options.seed})`);
  const sim = await startSimulation({ ...options, log });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    log(`at the end: ${sim.summary()}`);
    setTimeout(() => process.exit(0), 15_000).unref();
    void sim.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  void sim.ready.then(() => log('everyone is signed in and online'));
  if (options.durationSeconds > 0) setTimeout(stop, options.durationSeconds * 1000 + 1000);
}

main().catch((error: unknown) => {
  console.error('[simulate] failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
