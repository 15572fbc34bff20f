/**
 * The refresh decision, apart from any I/O: given the locked session row and the presented token's
 * verified claims, what happens. Kept pure so that every edge is unit-tested.
 *
 * A session keeps no row per refresh token: only the live token's id, its predecessor's id and
 * when the live one was issued. That is enough, because a session never forks: every refresh token
 * ever minted for a session (its HMAC and `sid` prove that much) is either the live one or was used
 * to get its successor. So a genuine token that is neither the live one nor, inside the grace
 * window, its predecessor is a used one presented again: reuse.
 */

export interface SessionState {
  userId: string;
  revokedAt: Date | null;
  absoluteExpiresAt: Date;
  /** The live token's `exp` (the session's idle end). */
  expiresAt: Date;
  /** The live refresh token's `jti`. */
  currentTokenId: string | null;
  /** The `jti` of the token the live one succeeded, or null before the first refresh. */
  previousTokenId: string | null;
  /** When the live token was issued, to the millisecond: its predecessor's first use. */
  currentIssuedAt: Date;
}

export interface PresentedToken {
  /** The token's `sub`. */
  userId: string;
  /** The token's `jti`. */
  tokenId: string;
}

export type RotationDecision =
  /** The live token: mint its successor. */
  | { kind: 'rotate' }
  /** The live token's predecessor, inside the grace window: answer with the live token again. */
  | { kind: 'replay' }
  /** A used token outside the grace window, or any older one: revoke the whole session. */
  | { kind: 'reuse' }
  | {
      kind: 'reject';
      code:
        'refresh_token_invalid' | 'refresh_token_expired' | 'session_revoked' | 'session_expired';
    };

export function decideRotation(input: {
  session: SessionState | null;
  presented: PresentedToken;
  now: Date;
  graceMs: number;
}): RotationDecision {
  const { session, presented, now, graceMs } = input;
  if (!session || session.userId !== presented.userId) {
    return { kind: 'reject', code: 'refresh_token_invalid' };
  }
  if (session.revokedAt) return { kind: 'reject', code: 'session_revoked' };
  if (now >= session.absoluteExpiresAt) return { kind: 'reject', code: 'session_expired' };

  if (presented.tokenId === session.currentTokenId) {
    if (now >= session.expiresAt) return { kind: 'reject', code: 'refresh_token_expired' };
    return { kind: 'rotate' };
  }
  if (
    presented.tokenId === session.previousTokenId &&
    now.getTime() - session.currentIssuedAt.getTime() <= graceMs
  ) {
    return { kind: 'replay' };
  }
  return { kind: 'reuse' };
}
