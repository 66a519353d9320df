/**
 * The access token a live channel presents on its upgrade request. Read fresh
 * before every (re)connect, so a token renewed meanwhile is the one sent.
 */
import { getAccessToken } from '../api/client';

export async function freshAccessToken(): Promise<string | null> {
  return getAccessToken();
}
