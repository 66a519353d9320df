/**
 * Refresh tokens (docs/decisions/0011-tokens-and-sessions.md): opaque random
 * strings, stored as SHA-256 hashes, rotated on every use. Each sign-in starts
 * a family; presenting a token that was already rotated means it leaked (or a
 * client raced itself), so the whole family is revoked. Logout revokes the
 * family too. Access tokens name their family (`sid`), so logout needs no body.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { newId } from '../../../db/ids';
import { refreshTokens } from '../../../db/schema/index';
import type { Db } from './accounts';
import { sha256Hex } from '../digest';

export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
const TOKEN_PREFIX = 'rt_';
export const REFRESH_TOKEN_PATTERN = /^rt_[A-Za-z0-9_-]{43}$/;

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 256 random bits: nothing to brute-force, so a fast hash is the right one to store. */
export function generateRefreshToken(): string {
  return TOKEN_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
}

export async function hashRefreshToken(token: string): Promise<string> {
  return sha256Hex(token);
}

export interface IssuedRefreshToken {
  token: string;
  familyId: string;
  expiresAt: Date;
}

async function insertToken(db: Db, userId: string, familyId: string, now: Date, id = newId('rtk')): Promise<IssuedRefreshToken> {
  const token = generateRefreshToken();
  const expiresAt = new Date(now.getTime() + REFRESH_TOKEN_TTL_SECONDS * 1000);
  await db.insert(refreshTokens).values({ id, userId, familyId, tokenHash: await hashRefreshToken(token), expiresAt });
  return { token, familyId, expiresAt };
}

/** Starts a new family (a sign-in or a sign-up) and returns its first refresh token. */
export function startSession(db: Db, userId: string, now = new Date()): Promise<IssuedRefreshToken> {
  return insertToken(db, userId, newId('fam'), now);
}

export type RotationOutcome =
  | { kind: 'rotated'; userId: string; refresh: IssuedRefreshToken }
  /** A rotated (or concurrently used) token came back: its family is now revoked. */
  | { kind: 'reused'; userId: string; familyId: string; revoked: number }
  | { kind: 'invalid' };

/** Revokes every live token of a family; returns how many were live. */
export async function revokeFamily(db: Db, familyId: string, now = new Date()): Promise<number> {
  const rows = await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  return rows.length;
}

/** Revokes every live token of a user (staff removed, password changed). */
export async function revokeAllSessions(db: Db, userId: string, now = new Date()): Promise<number> {
  const rows = await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  return rows.length;
}

/**
 * Exchanges a refresh token for a new one in the same family. Run it in a
 * transaction: the conditional UPDATE makes two concurrent uses of one token
 * end as one rotation and one reuse (which revokes the family), never as two
 * valid successors.
 */
export async function rotateRefreshToken(db: Db, token: string, now = new Date()): Promise<RotationOutcome> {
  if (!REFRESH_TOKEN_PATTERN.test(token)) return { kind: 'invalid' };
  const [row] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, await hashRefreshToken(token)));
  if (!row) return { kind: 'invalid' };

  const reused = async (): Promise<RotationOutcome> => ({
    kind: 'reused',
    userId: row.userId,
    familyId: row.familyId,
    revoked: await revokeFamily(db, row.familyId, now),
  });

  if (row.revokedAt) return row.replacedBy ? reused() : { kind: 'invalid' };
  if (row.expiresAt.getTime() <= now.getTime()) return { kind: 'invalid' };

  const successorId = newId('rtk');
  const claimed = await db
    .update(refreshTokens)
    .set({ revokedAt: now, replacedBy: successorId })
    .where(and(eq(refreshTokens.id, row.id), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  if (claimed.length === 0) return reused();

  return { kind: 'rotated', userId: row.userId, refresh: await insertToken(db, row.userId, row.familyId, now, successorId) };
}

/** The family a refresh token belongs to, if it belongs to this user (logout with a body). */
export async function familyOfToken(db: Db, token: string, userId: string): Promise<string | undefined> {
  if (!REFRESH_TOKEN_PATTERN.test(token)) return undefined;
  const [row] = await db
    .select({ familyId: refreshTokens.familyId })
    .from(refreshTokens)
    .where(and(eq(refreshTokens.tokenHash, await hashRefreshToken(token)), eq(refreshTokens.userId, userId)));
  return row?.familyId;
}
