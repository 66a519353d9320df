/**
 * When a failed merchant webhook is tried again: quickly at first (a
 * receiver restarting), then spaced out, and never after 24 h from the event
 * (docs/api.md). Attempt n+1 waits DELAYS[n-1] after attempt n fails:
 * 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 8 h (≈ 23.7 h in all).
 */
export const RETRY_DELAYS_SECONDS = [5, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 28_800] as const;
export const RETRY_WINDOW_SECONDS = 24 * 3600;

/** Seconds until the next attempt after attempt `attempt` failed, or null: give up (dead). */
export function nextRetryDelay(attempt: number, eventCreatedAtMs: number, nowMs: number): number | null {
  const delay = RETRY_DELAYS_SECONDS[attempt - 1];
  if (delay === undefined) return null;
  if (nowMs + delay * 1000 > eventCreatedAtMs + RETRY_WINDOW_SECONDS * 1000) return null;
  return delay;
}
