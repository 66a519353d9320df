/**
 * Opaque list cursors for keyset pagination on (created_at, id): the client
 * gets base64url JSON it never needs to read, and a tampered cursor is a 422,
 * never a database error.
 */
export interface CursorPosition {
  at: Date;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  const json = JSON.stringify([position.at.toISOString(), position.id]);
  return btoa(json).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The position, or undefined when the cursor is not one of ours. */
export function decodeCursor(cursor: string): CursorPosition | undefined {
  try {
    const json = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
    const value: unknown = JSON.parse(json);
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [at, id] = value as unknown[];
    if (typeof at !== 'string' || typeof id !== 'string' || id.length > 64) return undefined;
    const date = new Date(at);
    return Number.isNaN(date.getTime()) ? undefined : { at: date, id };
  } catch {
    return undefined;
  }
}
