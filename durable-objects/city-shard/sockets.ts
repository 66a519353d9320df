/**
 * The shard's sockets: tags, attachments and the small acts done on them.
 * Attachments are small and versioned (ids only: the state lives in SQLite).
 */
import type { Vehicle } from './matching';
import { PROTOCOL_VERSION } from './protocol';

export type Attachment = { v: 1; role: 'driver'; driverId: string; vehicle: Vehicle } | { v: 1; role: 'watcher'; orderId: string };

export const driverTag = (driverId: string) => `driver:${driverId}`;
export const orderTag = (orderId: string) => `order:${orderId}`;

export function attachmentOf(ws: WebSocket): Attachment | null {
  try {
    const a = ws.deserializeAttachment() as Attachment | null;
    return a && a.v === PROTOCOL_VERSION ? a : null;
  } catch {
    return null;
  }
}

export function sendError(ws: WebSocket, code: string, detail: string): void {
  try {
    ws.send(JSON.stringify({ type: 'error', code, detail }));
  } catch {
    // The socket is gone.
  }
}

export function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed.
  }
}
