/**
 * Keyset pagination cursors: an opaque base64url token of the last row's
 * sort key. Lists ordered by (created_at desc, id desc) use `Position`;
 * alphabetical lists use a (text, text) key such as (name, id). Tampered or
 * foreign cursors decode to null, which routes answer with a 422.
 */
export interface Position {
  createdAt: Date;
  id: string;
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(token: string): string | null {
  try {
    const binary = atob(token.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

function decodePair(cursor: string): [string, string] | null {
  const text = fromBase64Url(cursor);
  if (text === null) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed) || parsed.length !== 2 || !parsed.every((p) => typeof p === 'string' && p.length <= 300)) return null;
    return parsed as [string, string];
  } catch {
    return null;
  }
}

export const encodeCursor = (p: Position): string => toBase64Url(JSON.stringify([p.createdAt.toISOString(), p.id]));

export function decodeCursor(cursor: string): Position | null {
  const pair = decodePair(cursor);
  if (!pair) return null;
  const createdAt = new Date(pair[0]);
  return Number.isNaN(createdAt.getTime()) ? null : { createdAt, id: pair[1] };
}

export const encodeKeyCursor = (parts: [string, string]): string => toBase64Url(JSON.stringify(parts));
export const decodeKeyCursor = decodePair;
