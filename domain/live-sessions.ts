/**
 * Live sockets and the sessions they were opened in (ADR 0082). The Worker
 * names the caller's user and session on the upgrade it forwards to a
 * Durable Object (overwriting whatever the client sent under these names);
 * the object keeps them in the socket's attachment, and when the session ends
 * (logout, password change, erasure, staff removal) it closes the socket with
 * `SESSION_ENDED_CLOSE`: a client that sees it signs in again rather than
 * reconnecting with the same token, which would be refused with 401.
 */
export const SESSION_ENDED_CLOSE = { code: 4401, reason: 'session ended' } as const;

export const SESSION_HEADERS = {
  userId: 'X-Session-User',
  sessionId: 'X-Session-Id',
} as const;

/** True when a socket opened by (userId, sid) belongs to the sessions being ended. */
export function socketInSessions(socket: { userId?: string | undefined; sid?: string | undefined }, userId: string, sessions: readonly string[] | 'all'): boolean {
  if (!socket.userId || socket.userId !== userId) return false;
  return sessions === 'all' || (socket.sid !== undefined && sessions.includes(socket.sid));
}
