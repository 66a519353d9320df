/**
 * What the Worker makes of a Durable Object's answer to a forwarded WebSocket
 * upgrade: 101 goes back to the client as it is; a refusal for too many
 * sockets (durable-objects/socket-limits.ts) becomes the API's 429 problem
 * with Retry-After, like every other refusal of the API.
 */
import { problems } from '../problem';

export async function liveUpgrade(answer: Promise<Response> | Response): Promise<Response> {
  const res = await answer;
  if (res.status === 429) {
    const retryAfter = Number(res.headers.get('Retry-After') ?? '30');
    throw problems.rateLimited(Number.isFinite(retryAfter) ? retryAfter : 30, (await res.text()) || 'Too many live connections.');
  }
  return res;
}
