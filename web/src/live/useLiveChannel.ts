/**
 * React side of a live channel: opens a {@link LiveConnection} for `path`
 * (null: none), keeps the latest callbacks without reconnecting, follows the
 * browser's online/offline events, and exposes the state for the UI.
 */
import { useEffect, useRef, useState } from 'react';
import { LiveConnection, type ConnectionState } from '../../../domain/live/connection';

export interface LiveChannelOptions {
  /** Channel path, e.g. /v1/orders/ord_1/live; null keeps the channel closed. */
  path: string | null;
  onMessage: (data: string) => void;
  onOpen?: (info: { reconnected: boolean }) => void;
  query?: () => Record<string, string | undefined>;
  finalCloseCodes?: readonly number[];
  /** The app whose session cookie authenticates the upgrade, asked before each attempt (ADR 0087). */
  getSession?: () => Promise<string | null>;
}

export interface LiveChannel {
  state: ConnectionState;
  /** Reconnection attempts since the last open. */
  attempt: number;
  /** False while the browser says it has no network. */
  online: boolean;
  /** When the last message arrived (ms since epoch), for "updated … ago". */
  lastMessageAt: number | null;
  connection: LiveConnection | null;
}

export function useLiveChannel(options: LiveChannelOptions): LiveChannel {
  const callbacks = useRef(options);
  callbacks.current = options;
  const [state, setState] = useState<ConnectionState>('connecting');
  const [attempt, setAttempt] = useState(0);
  const [online, setOnline] = useState(() => (typeof navigator === 'undefined' ? true : navigator.onLine));
  const [lastMessageAt, setLastMessageAt] = useState<number | null>(null);
  const [connection, setConnection] = useState<LiveConnection | null>(null);
  const { path } = options;

  useEffect(() => {
    if (!path) {
      setState('closed');
      return;
    }
    setState('connecting');
    const conn = new LiveConnection({
      origin: window.location.origin,
      path,
      getSession: () => callbacks.current.getSession?.() ?? null,
      query: () => callbacks.current.query?.() ?? {},
      finalCloseCodes: callbacks.current.finalCloseCodes ?? [],
      onMessage: (data) => {
        setLastMessageAt(Date.now());
        callbacks.current.onMessage(data);
      },
      onOpen: (info) => {
        setAttempt(0);
        callbacks.current.onOpen?.(info);
      },
      onState: (next, info) => {
        setState(next);
        setAttempt(info.attempt);
      },
    });
    setConnection(conn);
    const back = () => {
      setOnline(true);
      conn.reconnect();
    };
    const gone = () => setOnline(false);
    window.addEventListener('online', back);
    window.addEventListener('offline', gone);
    return () => {
      window.removeEventListener('online', back);
      window.removeEventListener('offline', gone);
      conn.close();
      setConnection(null);
    };
  }, [path]);

  return { state, attempt, online, lastMessageAt, connection };
}
