import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { problems } from '../problem';

/** Largest JSON body the API accepts; larger ones are 413 before any parsing. */
export const MAX_BODY_BYTES = 64 * 1024;

export const bodyLimit = (maxSize = MAX_BODY_BYTES) =>
  honoBodyLimit({
    maxSize,
    onError: () => {
      throw problems.tooLarge(maxSize);
    },
  });
