import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { TEST_SECRETS } from './test/support/secrets.ts';

// wrangler checks `[secrets] required` against process.env while reading
// wrangler.toml; give it the test values so it has nothing to warn about.
for (const [name, value] of Object.entries(TEST_SECRETS)) process.env[name] ??= value;

/** The Worker under test in workerd, with Postgres, the Stripe fake and the notification fakes (test/support/global-setup.ts). */
const workerd = () =>
  cloudflareTest(({ inject }) => ({
    wrangler: { configPath: './wrangler.toml' },
    // The production entry with CityShard's test subclass (its seams and test RPCs; ADR 0115).
    main: './test/support/worker-entry.ts',
    miniflare: {
      hyperdrives: { HYPERDRIVE: inject('databaseUrl') },
      bindings: {
        APP_ENV: 'test',
        PUBLIC_BASE_URL: 'http://127.0.0.1:8787',
        STRIPE_API_BASE: inject('stripeFakeUrl'),
        // Webhook targets outside local mode are resolved by the receiver fake's DNS over HTTPS, never on the internet.
        DNS_RESOLVER_URL: `${inject('webhookReceiverUrl')}/dns-query`,
        ...TEST_SECRETS,
        ...inject('notificationBindings'),
      },
    },
  }));

export default defineConfig({
  test: {
    // An unhandled rejection anywhere fails the run (vitest's default; kept explicit).
    dangerouslyIgnoreUnhandledErrors: false,
    // Runs once, in Node, for every project: Postgres for the unit tests and,
    // through the Hyperdrive binding, for the Worker tests.
    globalSetup: ['test/support/global-setup.ts'],
    // The JSON report feeds the one-line summary that .ci/run prints.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        plugins: [workerd()],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          // Every answer received through checkedFetch is checked against the OpenAPI document (ADR 0095).
          setupFiles: ['test/support/openapi-contract.setup.ts'],
          testTimeout: 20_000,
        },
      },
      {
        // The security suite (docs/security.md): one test per ASVS L2 control and
        // OWASP API Top 10 item, and the fuzz test driven by /openapi.json.
        plugins: [workerd()],
        test: {
          name: 'security',
          include: ['test/security/**/*.test.ts'],
          setupFiles: ['test/support/openapi-contract.setup.ts'],
          testTimeout: 20_000,
        },
      },
      {
        // Browser journeys: the whole platform (startPlatform) driven through Debian's Chromium.
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          // After the other projects: its web build rewrites dist/web, and on two cores
          // it must not share the CPU with the workerd suites to keep its timings.
          sequence: { groupOrder: 1 },
          // One file at a time for the same reason (the journey, the production build check).
          fileParallelism: false,
        },
      },
      {
        // The chaos suite's CI subset (docs/reliability.md): the whole platform with
        // faults injected from outside; last, alone on the two cores.
        test: {
          name: 'chaos',
          environment: 'node',
          include: ['test/chaos/**/*.test.ts'],
          testTimeout: 20 * 60_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 2 },
          // Each file runs a whole platform: one at a time.
          fileParallelism: false,
        },
      },
      {
        // Prometheus rules (promtool) and a real Prometheus scraping the platform
        // (ADR 0093, 0094); last, so its short load does not share the CPU.
        test: {
          name: 'observability',
          environment: 'node',
          include: ['test/observability/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
