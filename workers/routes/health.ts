import { createRoute, z } from '@hono/zod-openapi';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { anyCityGeometry } from '../services/city-shard-client';
import { PROBE_SHARD_NAME, shardFor, shardStub, type CityGeometry } from '../../domain/shard-keys';
import { log } from '../../domain/log';

const READINESS_TIMEOUT_MS = 2_000;

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'getHealth',
  tags: ['Operations'],
  security: [],
  summary: 'Liveness: the Worker answers',
  responses: {
    200: {
      description: 'The process is up',
      content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
    },
  },
});

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'getReadiness',
  tags: ['Operations'],
  security: [],
  summary: 'Readiness: Postgres (through Hyperdrive) and the city shards answer',
  description:
    "Postgres answers a query for a city, and the central shard of that city answers a ping; before any city exists, a probe object of the same namespace does.",
  responses: {
    200: {
      description: 'Every dependency answered',
      content: {
        'application/json': {
          schema: z.object({
            status: z.literal('ready'),
            checks: z.object({ postgres: z.literal('ok'), cityShard: z.literal('ok') }),
          }),
        },
      },
    },
    ...problemResponses(503),
  },
});

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

export const healthRoutes = createRouter()
  .openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200))
  .openapi(readyz, async (c) => {
    let city: CityGeometry | null;
    try {
      city = await withTimeout(anyCityGeometry(c.var.db()), READINESS_TIMEOUT_MS, 'Postgres');
    } catch (error) {
      log.warn('readiness: postgres unreachable', { requestId: c.var.requestId, error });
      throw problems.unavailable('Postgres is not reachable through Hyperdrive.');
    }
    try {
      // A real shard, keyed where every key is built; the city's centre is always in one.
      const shard = shardStub(c.env, city ? shardFor(city, city.center) : PROBE_SHARD_NAME);
      await withTimeout(shard.ping(), READINESS_TIMEOUT_MS, 'CityShard');
    } catch (error) {
      log.warn('readiness: city shard unreachable', { requestId: c.var.requestId, error });
      throw problems.unavailable('The city shard Durable Objects are not reachable.');
    }
    return c.json({ status: 'ready' as const, checks: { postgres: 'ok' as const, cityShard: 'ok' as const } }, 200);
  });
