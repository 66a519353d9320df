/**
 * The Worker the workerd suites run (vitest.config.ts `main`): the production
 * entry with CityShard replaced by its test subclass (the binding's class name
 * stays `CityShard`; an explicit export wins over `export *`), and a `fetch`
 * that checks every answer against the OpenAPI document (ADR 0095, 0116).
 * Tests that call the handler directly import this default, not workers/index.
 */
import worker from '../../workers/index';
import { recordAnswer } from './openapi-contract';

export * from '../../workers/index';
export { TestCityShard as CityShard } from './test-city-shard';

export default {
  ...worker,
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const res = await worker.fetch(request, env, ctx);
    await recordAnswer(request, res);
    return res;
  },
} satisfies ExportedHandler<Env>;
// Named again: ctx.exports (the shard's way to OrderCommands, ADR 0075) lists the entry's own named exports, not those of `export *`.
export { OrderCommands } from '../../workers/order-commands';
