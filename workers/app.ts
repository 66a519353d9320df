import { createRouter, documentEdgeResponses } from './openapi';
import { onError, notFound } from './errors';
import { requestId } from './middleware/request-id';
import { observe } from './middleware/observe';
import { securityHeaders } from './middleware/security-headers';
import { apiReferenceRoutes } from './routes/api-reference';
import { bodyLimit } from './middleware/body-limit';
import { inputCharacters } from './middleware/input-characters';
import { database } from './middleware/database';
import { authenticate } from './middleware/auth';
import { healthRoutes } from './routes/health';
import { cityRoutes } from './routes/cities';
import { cityLiveRoutes } from './routes/city-live';
import { driverRoutes } from './routes/drivers';
import { orderLiveRoutes } from './routes/order-live';
import { authRoutes } from './routes/auth';
import { meRoutes } from './routes/me';
import { privacyRoutes } from './routes/privacy';
import { trackingRoutes } from './routes/tracking';
import { merchantApiKeyRoutes } from './routes/merchant-api-keys';
import { merchantStaffRoutes } from './routes/merchant-staff';
import { merchantOwnershipRoutes } from './routes/merchant-ownership';
import { metricsRoutes } from './routes/metrics';
import { merchantRoutes } from './routes/merchants';
import { catalogRoutes } from './routes/catalog';
import { merchantLiveRoutes } from './routes/merchant-live';
import { orderRoutes } from './routes/orders';
import { orderStepRoutes } from './routes/order-steps';
import { proofPhotoRoutes } from './routes/proof-photos';
import { paymentRoutes } from './routes/payments';
import { stripeWebhookRoutes } from './routes/webhooks-stripe';
import { notificationPreferenceRoutes } from './routes/notification-preferences';
import { merchantWebhookRoutes } from './routes/merchant-webhooks';
import { twilioWebhookRoutes } from './routes/webhooks-twilio';
import { devOutboxRoutes } from './routes/dev-outbox';
import { opsDeadLetterRoutes } from './routes/ops-dead-letters';
import { opsOrderRoutes } from './routes/ops-orders';
import { opsUserRoutes } from './routes/ops-users';
import { opsDriverRoutes } from './routes/ops-drivers';
import { opsActionRoutes } from './routes/ops-actions';
import { orderMessageRoutes } from './routes/order-messages';
import { discoveryRoutes } from './routes/discovery';
import { merchantHoursRoutes } from './routes/merchant-hours';
import { opsZoneRoutes } from './routes/ops-zones';

export const API_VERSION = '1.0.0';

/** The document's description: what holds for every operation (docs/api.md says the same at more length). */
const API_DESCRIPTION = [
  'Orders, dispatch, live tracking and payments.',
  '',
  '**Operation names.** Every operation has an `operationId`: a camelCase verb and noun (`createOrder`, `getOrder`, `acceptOrder`, `listWebhookDeliveries`), unique in the document and stable: a generated client keeps its method names across versions. A new operation gets a new name; a name is never reused for another operation.',
  '',
  '**Errors** are RFC 9457 problem details (`application/problem+json`): the `Problem` schema names every extension member, docs/problems.md every `type` with its status and members.',
  '',
  '**Idempotency.** Every POST that creates something (201) accepts `Idempotency-Key` (1 to 255 printable ASCII characters); `POST /v1/orders` requires it. Keys are scoped to the caller (a user, or a merchant for all its API keys) and kept 24 hours. The same key with the same request (method, path, JSON body) answers the first answer again, byte for byte, with `Idempotent-Replayed: true`, and creates nothing more; the same key with another request is a 409 `idempotency-key-reused`; while the first request still runs, a 409 `idempotency-key-in-use` with Retry-After. Only successes are kept: a refused request may be fixed and sent again with the same key.',
  '',
  '**Retry-After.** Every 429 (`rate-limited`) and 503 (`dependency-unavailable`) carries `Retry-After` in integer seconds (at least 1): the earliest moment a retry can succeed. It is the only throttling header sent (no RateLimit-* headers); clients should wait at least that long, and back off further on repeated refusals.',
].join('\n');

export function createApp() {
  const app = createRouter();

  // Security headers on every answer of the Worker, errors included (ADR 0086).
  app.use('*', securityHeaders);
  app.use('*', requestId);
  // One measurement and one log line per request, errors included (ADR 0090, docs/logging.md).
  app.use('*', observe);
  app.use('*', bodyLimit());
  // Control characters, lone surrogates and noncharacters stop here, for every route (ADR 0084).
  app.use('*', inputCharacters);
  app.use('*', database);
  app.use('/v1/*', authenticate);

  app.route('/', healthRoutes);
  app.route('/', cityRoutes);
  app.route('/', cityLiveRoutes);
  app.route('/', driverRoutes);
  app.route('/', orderLiveRoutes);
  app.route('/', authRoutes);
  app.route('/', meRoutes);
  app.route('/', privacyRoutes);
  app.route('/', trackingRoutes);
  app.route('/', merchantApiKeyRoutes);
  app.route('/', merchantStaffRoutes);
  app.route('/', merchantOwnershipRoutes);
  app.route('/', metricsRoutes);
  app.route('/', merchantRoutes);
  app.route('/', catalogRoutes);
  app.route('/', merchantLiveRoutes);
  app.route('/', orderRoutes);
  app.route('/', orderStepRoutes);
  app.route('/', proofPhotoRoutes);
  app.route('/', paymentRoutes);
  app.route('/', stripeWebhookRoutes);
  app.route('/', notificationPreferenceRoutes);
  app.route('/', merchantWebhookRoutes);
  app.route('/', twilioWebhookRoutes);
  app.route('/', devOutboxRoutes);
  app.route('/', opsDeadLetterRoutes);
  app.route('/', opsOrderRoutes);
  app.route('/', opsUserRoutes);
  app.route('/', opsDriverRoutes);
  app.route('/', opsActionRoutes);
  app.route('/', orderMessageRoutes);
  app.route('/', discoveryRoutes);
  app.route('/', merchantHoursRoutes);
  app.route('/', opsZoneRoutes);

  // What every route may answer through the shared middleware (edge characters, credentials, bodies).
  documentEdgeResponses(app);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A JWT access token, or a merchant API key for server-to-server calls.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'metricsToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'The scrape token (METRICS_TOKEN) that Prometheus presents to GET /metrics.',
  });

  app.doc31('/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'Delivery platform API',
      version: API_VERSION,
      description: API_DESCRIPTION,
      license: { name: 'Proprietary: all rights reserved', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: new URL(c.req.url).origin }],
    security: [{ bearer: [] }],
  }));

  // The API reference UI, from our own static assets and without inline script (routes/api-reference.ts).
  app.route('/', apiReferenceRoutes);

  app.notFound(notFound);
  app.onError(onError);
  return app;
}

export type App = ReturnType<typeof createApp>;
