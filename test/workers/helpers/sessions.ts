/**
 * Access tokens for accounts a test writes straight into Postgres: the
 * session is opened in the account's AccountSessions object first, as a
 * sign-in does (ADR 0082), so the token is honoured.
 */
import { env } from 'cloudflare:workers';
import { newId } from '../../../db/ids';
import { REFRESH_TOKEN_TTL_SECONDS } from '../../../workers/services/auth/sessions';
import { sessionRegistryFrom } from '../../../workers/services/auth/session-registry';
import { issueAccessToken, type AccessClaims } from '../../../workers/services/auth/tokens';

export async function sessionToken(claims: Omit<AccessClaims, 'sid'>, sid: string = newId('fam')): Promise<string> {
  const opened = await sessionRegistryFrom(env).open(claims.sub, sid, new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000));
  if (!opened.opened) throw new Error(`session ${sid} of ${claims.sub} could not be opened: ${opened.reason}`);
  return (await issueAccessToken(env.JWT_SIGNING_KEYS, { ...claims, sid })).token;
}
