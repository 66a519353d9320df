/**
 * The platform for a browser test: `startPlatform` (throwaway Postgres and
 * wrangler state, demo seed, fresh web build) on a free port.
 */
import { freePort } from '../../../scripts/lib/postgres';
import { startPlatform, type RunningPlatform } from '../../../scripts/lib/platform';

export async function startTestPlatform(): Promise<RunningPlatform> {
  const apiPort = await freePort();
  // Vitest sets NODE_ENV=test, which the web build would inherit and turn into
  // React's development build: test the production bundle people get.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    return await startPlatform({ apiPort, seed: true, build: true, output: 'ignore' });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}
