/**
 * Which location fixes the shard applies (state.ts `ingest`): a fix from the
 * device's future, a repeat, one older than the last applied, one too
 * inaccurate, or an implausible jump is refused and counted; consecutive
 * jumps that agree with each other re-anchor the driver (the old fix was the
 * bad one). Pure: the driver's last fix and suspect are its only memory.
 */
import { distanceM } from './geo';
import type { DriverLive } from './model';
import type { LocationPoint } from '../../domain/protocol/city-shard';

/** A fix more than this far in the device's future is refused. */
export const MAX_CLOCK_SKEW_MS = 30_000;
/** Fixes with a worse horizontal accuracy are not applied. */
export const MAX_ACCURACY_M = 1_000;
/** A move is implausible when it is longer than this and faster than MAX_SPEED. */
export const JUMP_MIN_M = 300;
export const MAX_SPEED_MPS = 50;
/** Consecutive refused fixes that agree with each other re-anchor the driver (the old fix was the bad one). */
export const REANCHOR_AFTER = 3;
export type RejectReason = 'duplicate' | 'out_of_order' | 'implausible_jump' | 'future' | 'inaccurate';

export interface IngestSummary {
  accepted: number;
  duplicate: number;
  outOfOrder: number;
  implausibleJump: number;
  future: number;
  inaccurate: number;
}

/** Just over the metres per degree of latitude; a degree of longitude is never longer. */
const M_PER_DEG = 111_196;

function implausible(from: { lat: number; lng: number; at: number }, lat: number, lng: number, at: number): boolean {
  // Cheap bound first: |Δlat| and |Δlng| in degrees × 111 km over-estimate the distance,
  // so a small move (nearly every fix) needs no trigonometry.
  const bound = (Math.abs(lat - from.lat) + Math.abs(lng - from.lng)) * M_PER_DEG;
  if (bound <= JUMP_MIN_M) return false;
  const d = distanceM(from, { lat, lng });
  return d > JUMP_MIN_M && d / Math.max(1, (at - from.at) / 1000) > MAX_SPEED_MPS;
}

export function judge(d: DriverLive, p: LocationPoint, at: number, now: number): RejectReason | null {
  if (!Number.isFinite(at) || at > now + MAX_CLOCK_SKEW_MS) return 'future';
  const prev = d.position;
  if (prev && at === prev.at) return 'duplicate';
  if (prev && at < prev.at) return 'out_of_order';
  if (p.accuracy !== undefined && p.accuracy > MAX_ACCURACY_M) return 'inaccurate';
  if (prev && implausible(prev, p.lat, p.lng, at)) {
    const s = d.suspect;
    if (s && at > s.at && !implausible(s, p.lat, p.lng, at)) {
      s.count++;
      s.lat = p.lat;
      s.lng = p.lng;
      s.at = at;
    } else {
      d.suspect = { lat: p.lat, lng: p.lng, at, count: 1 };
    }
    if (d.suspect!.count < REANCHOR_AFTER) return 'implausible_jump';
  }
  return null;
}

export const COUNTER: Record<RejectReason, keyof IngestSummary> = {
  duplicate: 'duplicate',
  out_of_order: 'outOfOrder',
  implausible_jump: 'implausibleJump',
  future: 'future',
  inaccurate: 'inaccurate',
};
