/**
 * The live ETA as the apps show it (docs/decisions/0076): the shard sends the
 * seconds to the door with each fix of the driver and the time they hold;
 * between fixes the apps count down from there. Nothing live is shown once
 * the order has ended. Pure, so it is unit tested in Node.
 */
import { isTerminal, type OrderStatus } from '../../../domain/order';

/**
 * How far before its arrival an ETA frame's time is believed. The frame's
 * time is the shard's (or the driver's phone's) clock; a browser whose clock
 * runs ahead would otherwise count a fresh ETA down at once.
 */
export const MAX_ETA_AGE_MS = 5 * 60_000;

/** When an ETA holds, on this browser's clock: the frame's time, kept within [receivedAt − MAX_ETA_AGE_MS, receivedAt]. */
export function etaSince(frameAt: string | null | undefined, receivedAt: number): number {
  const at = frameAt ? Date.parse(frameAt) : Number.NaN;
  if (Number.isNaN(at)) return receivedAt;
  return Math.min(receivedAt, Math.max(receivedAt - MAX_ETA_AGE_MS, at));
}

/** Seconds left at `now` of an ETA of `seconds` that held at `since` (ms): whole seconds, never below 0. */
export function etaRemaining(seconds: number, since: number, now: number): number {
  return Math.max(0, Math.round(seconds - Math.max(0, now - since) / 1000));
}

/**
 * Whether an order has ended (delivered, cancelled, rejected, failed) by any
 * of its views — the live channel, the last GET: a terminal status is final,
 * so the view that saw it first is right.
 */
export function hasEnded(...statuses: (OrderStatus | null | undefined)[]): boolean {
  return statuses.some((s) => s !== null && s !== undefined && isTerminal(s));
}

/** The ETA to show: none once the order has ended, else counted down from when it held (`since`, ms). */
export function liveEtaSeconds(ended: boolean, seconds: number | null, since: number | null, now: number): number | null {
  if (seconds === null || ended) return null;
  return since === null ? Math.max(0, Math.round(seconds)) : etaRemaining(seconds, since, now);
}

/** "45 s", "3 min 05 s", "1 h 05 min": fine enough that a countdown is seen to move. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
