/**
 * A fake's memory kept in a JSON file, so restarting `npm start` does not
 * wipe what the providers "know" (a PaymentIntent paid before the restart can
 * still be refunded after it). Loaded once when the fake starts; written at
 * most once per `delayMs` after a change and at once on stop, always to a
 * temporary file renamed over the old one, so a crash mid-write leaves the
 * previous version whole. Tests that run the fakes in-process pass no file and
 * keep everything in memory.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const VERSION = 1;

export interface StateFile<T> {
  /** What the file held at start (undefined: none yet, or unreadable). */
  readonly loaded: T | undefined;
  /** Something changed: write within `delayMs`. */
  changed(): void;
  /** Write now if anything changed; later changes are not written (the fake stops). */
  close(): void;
}

export function stateFile<T>(
  file: string,
  snapshot: () => T,
  options: { delayMs?: number; log?: (line: string) => void } = {},
): StateFile<T> {
  const delayMs = options.delayMs ?? 500;
  let loaded: T | undefined;
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { version?: number; state?: T };
    if (stored.version === VERSION) loaded = stored.state;
    else options.log?.(`${file}: version ${stored.version}, not ${VERSION}: starting empty`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.log?.(`${file}: unreadable (${String(error)}): starting empty`);
  }

  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  let closed = false;
  const write = () => {
    timer = undefined;
    if (!dirty) return;
    dirty = false;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      // Local secrets sit in the same records (auth headers): readable by the owner only, like .data/local-secrets.json.
      writeFileSync(temporary, JSON.stringify({ version: VERSION, savedAt: new Date().toISOString(), state: snapshot() }), { mode: 0o600 });
      renameSync(temporary, file);
    } catch (error) {
      // A full disk must not take the platform down: the fake carries on in memory and tries again on the next change.
      options.log?.(`${file}: not saved (${String(error)})`);
    }
  };
  return {
    loaded,
    changed: () => {
      if (closed) return;
      dirty = true;
      // A steady stream of changes (the simulator) still writes every delayMs: not a debounce that never fires.
      timer ??= setTimeout(write, delayMs).unref();
    },
    close: () => {
      if (closed) return;
      clearTimeout(timer);
      write();
      closed = true;
    },
  };
}

/** The newest `n` entries: what a file keeps of a record that only grows. */
export const newest = <T>(items: readonly T[], n: number): T[] => items.slice(Math.max(0, items.length - n));
