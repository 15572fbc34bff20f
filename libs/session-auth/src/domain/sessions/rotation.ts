/**
 * The refresh decision, apart from any I/O: given the locked session row and the presented token's
 * row, what happens. Kept pure so that every edge is unit-tested.
 */

export interface SessionState {
  userId: string;
  revokedAt: Date | null;
  absoluteExpiresAt: Date;
  currentTokenId: string | null;
}

export interface StoredToken {
  id: string;
  expiresAt: Date;
  usedAt: Date | null;
  successorId: string | null;
}

export interface PresentedToken {
  userId: string;
  /** Whether the stored hash matches the presented token. */
  hashMatches: boolean;
}

export type RotationDecision =
  /** The live token: mint its successor. */
  | { kind: 'rotate' }
  /** The live token's predecessor, inside the grace window: answer with the same successor. */
  | { kind: 'replay'; successorId: string }
  /** A used token outside the grace window, or any older one: revoke the whole session. */
  | { kind: 'reuse' }
  | {
      kind: 'reject';
      code:
        'refresh_token_invalid' | 'refresh_token_expired' | 'session_revoked' | 'session_expired';
    };

export function decideRotation(input: {
  session: SessionState | null;
  token: StoredToken | null;
  presented: PresentedToken;
  now: Date;
  graceMs: number;
}): RotationDecision {
  const { session, token, presented, now, graceMs } = input;
  if (!session || !token || !presented.hashMatches || session.userId !== presented.userId) {
    return { kind: 'reject', code: 'refresh_token_invalid' };
  }
  if (session.revokedAt) return { kind: 'reject', code: 'session_revoked' };
  if (now >= session.absoluteExpiresAt) return { kind: 'reject', code: 'session_expired' };

  if (!token.usedAt) {
    // An unused token that is not the live one cannot exist; refuse rather than fork.
    if (token.id !== session.currentTokenId)
      return { kind: 'reject', code: 'refresh_token_invalid' };
    if (now >= token.expiresAt) return { kind: 'reject', code: 'refresh_token_expired' };
    return { kind: 'rotate' };
  }

  const isLivePredecessor =
    token.successorId !== null && token.successorId === session.currentTokenId;
  if (isLivePredecessor && now.getTime() - token.usedAt.getTime() <= graceMs) {
    return { kind: 'replay', successorId: token.successorId! };
  }
  return { kind: 'reuse' };
}
