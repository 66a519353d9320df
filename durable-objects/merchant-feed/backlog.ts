/**
 * Reconnect catch-up as pure logic: given what the client last saw and what
 * the feed still keeps, which events to send before going live.
 */
export interface BacklogBounds {
  /** Lowest sequence number still stored (null: nothing stored). */
  oldestSeq: number | null;
  /** Highest sequence number ever assigned (0: none yet). */
  latestSeq: number;
}

export type CatchUp =
  /** Fresh connection or already up to date: nothing to replay. */
  | { kind: 'none' }
  /** Send every stored event with seq > after, in order. */
  | { kind: 'replay'; after: number }
  /** Some missed events are gone (or the client's number is from elsewhere): tell it to reload. */
  | { kind: 'resync'; reason: 'too_old' | 'unknown_seq' };

export function planCatchUp(since: number | null, bounds: BacklogBounds): CatchUp {
  if (since === null) return { kind: 'none' };
  if (!Number.isSafeInteger(since) || since < 0 || since > bounds.latestSeq) return { kind: 'resync', reason: 'unknown_seq' };
  if (since === bounds.latestSeq) return { kind: 'none' };
  // Events since+1 .. latest are needed; the oldest kept must be at most since+1.
  if (bounds.oldestSeq === null || bounds.oldestSeq > since + 1) return { kind: 'resync', reason: 'too_old' };
  return { kind: 'replay', after: since };
}

/** Parses `?since=`; anything but a non-negative integer is "no catch-up asked". */
export function parseSince(raw: string | null): number | null {
  if (raw === null || !/^\d{1,15}$/.test(raw)) return null;
  return Number(raw);
}

export interface RetentionPolicy {
  maxEvents: number;
  maxAgeMs: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { maxEvents: 5_000, maxAgeMs: 24 * 60 * 60 * 1000 };
