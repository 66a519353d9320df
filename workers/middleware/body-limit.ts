import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { problems } from '../problem';
import { MAX_PROOF_PHOTO_BYTES } from '../services/proof-photos/image';

/** Largest JSON body the API accepts; larger ones are 413 before any parsing. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The routes that take more than a JSON body, each with its own cap. Listed
 * here, where the limit is enforced, so nothing else can slip past 64 KiB.
 */
export const LARGE_BODY_ROUTES: readonly { method: string; path: RegExp; maxSize: number }[] = [
  // A delivery proof photo (routes/proof-photos.ts).
  { method: 'POST', path: /^\/v1\/orders\/[^/]+\/proof-photos$/, maxSize: MAX_PROOF_PHOTO_BYTES },
];

const limitOf = (maxSize: number) =>
  honoBodyLimit({
    maxSize,
    onError: () => {
      throw problems.tooLarge(maxSize);
    },
  });

export const bodyLimit = (maxSize = MAX_BODY_BYTES) => {
  const standard = limitOf(maxSize);
  const large = LARGE_BODY_ROUTES.map((r) => ({ ...r, limit: limitOf(r.maxSize) }));
  return createMiddleware<AppEnv>(async (c, next) => {
    const route = large.find((r) => r.method === c.req.method && r.path.test(c.req.path));
    return (route?.limit ?? standard)(c, next);
  });
};
