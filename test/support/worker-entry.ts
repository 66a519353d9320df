/**
 * The Worker the workerd suites run (vitest.config.ts `main`): the production
 * entry with CityShard replaced by its test subclass (the binding's class name
 * stays `CityShard`; an explicit export wins over `export *`), and a `fetch`
 * that checks every answer against the OpenAPI document (ADR 0095, 0116).
 * Tests that call the handler directly import this default, not workers/index.
 *
 * No request may leave the machine: the isolate's `fetch` refuses any
 * destination but loopback (the provider fakes, the receiver fake) and says
 * so on stderr with the caller's stack, so a provider base URL, a DNS
 * resolver or a webhook target left pointing at the internet fails as a
 * network error here instead of being sent.
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

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const sendFetch = globalThis.fetch;
globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (LOOPBACK.has(url.hostname)) return sendFetch(input, init);
  console.error(`refused: a request to ${url.origin} would leave the machine\n${new Error().stack ?? ''}`);
  return Promise.reject(new TypeError(`Network connection refused by the test entry: ${url.origin} is not on this machine`));
}) as typeof fetch;
