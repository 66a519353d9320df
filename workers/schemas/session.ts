/** How a request names the web app whose session cookie authenticates it (ADR 0087). */
import { z } from '@hono/zod-openapi';
import { SESSION_APPS } from '../middleware/session-cookies';

export const SessionAppQuery = z
  .enum(SESSION_APPS)
  .optional()
  .openapi({ description: 'The web apps (browsers): the app whose session cookie authenticates the upgrade; the upgrade must come from this site (Origin).' });

export const SessionAppHeader = z
  .enum(SESSION_APPS)
  .optional()
  .openapi({
    description:
      'The web apps (browsers): sign-in, sign-up and refresh answer with the tokens in HttpOnly cookies of the account’s app instead of the body; other calls are authenticated by that app’s cookie (unsafe methods must come from this site).',
  });

/** The request headers of the identity routes: `X-Session-App` asks for a cookie session. */
export const SessionAppHeaders = z.object({ 'x-session-app': SessionAppHeader });
