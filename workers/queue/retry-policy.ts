/**
 * Backoff of a queue message whose handling must be tried again: 5 s, 10 s,
 * 20 s … capped at 15 min. With the consumer's max_retries = 8 a message is
 * parked in the dead-letter queue about 21 minutes after its first failure.
 */
export const MAX_DELAY_SECONDS = 900;

export function retryDelaySeconds(attempts: number): number {
  return Math.min(MAX_DELAY_SECONDS, 5 * 2 ** Math.max(0, attempts - 1));
}
