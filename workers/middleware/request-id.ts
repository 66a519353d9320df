import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';

const ACCEPTED = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Every answer carries `X-Request-Id`: the caller's when it is well formed (so a
 * client or proxy can correlate), otherwise a fresh one.
 */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const id = incoming && ACCEPTED.test(incoming) ? incoming : `req_${crypto.randomUUID()}`;
  c.set('requestId', id);
  await next();
  c.header('X-Request-Id', id);
});
