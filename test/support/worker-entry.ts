/**
 * The Worker the workerd suites run (vitest.config.ts `main`): the production
 * entry with CityShard replaced by its test subclass (the binding's class
 * name stays `CityShard`). An explicit export wins over `export *`.
 */
export * from '../../workers/index';
export { default } from '../../workers/index';
export { TestCityShard as CityShard } from './test-city-shard';
// Named again: ctx.exports (the shard's way to OrderCommands, ADR 0075) lists the entry's own named exports, not those of `export *`.
export { OrderCommands } from '../../workers/order-commands';
