/**
 * The platform for a browser test: `startPlatform` (throwaway Postgres and
 * wrangler state, demo seed, fresh web build) on a free port.
 */
import { freePort } from '../../../scripts/lib/postgres';
import { startPlatform, type RunningPlatform } from '../../../scripts/lib/platform';

export async function startTestPlatform(): Promise<RunningPlatform> {
  const apiPort = await freePort();
  return startPlatform({ apiPort, seed: true, build: true, output: 'ignore' });
}
