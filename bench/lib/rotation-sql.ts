/**
 * The statement the service runs for one refresh-token rotation (the live token presented once),
 * issued straight through `pg`: the floor under POST /auth/refresh. The SQL is the service's own,
 * imported from its repository, so the two cannot drift apart.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { ROTATE_LIVE_TOKEN } from '@session-service/nestjs/internal';

export const ROTATION_STATEMENTS = [
  'WITH rotated AS (UPDATE sessions SET previous_token_id = current_token_id, current_token_id = $5, … ' +
    'WHERE id = $1 AND current_token_id = $2 AND … RETURNING …) SELECT … FROM rotated JOIN users',
];

export interface RawSession {
  sessionId: string;
  userId: string;
  tokenId: string;
}

/** One rotation of `session`, as the service does it; returns the session with its new token. */
export async function rotateOnce(pool: Pool, session: RawSession): Promise<RawSession> {
  const now = new Date();
  const successor = randomUUID();
  const { rows } = await pool.query(ROTATE_LIVE_TOKEN, [
    session.sessionId,
    session.tokenId,
    session.userId,
    now,
    successor,
    new Date((Math.floor(now.getTime() / 1000) + 7 * 24 * 3_600) * 1000),
  ]);
  if (rows[0]?.current_token_id !== successor) {
    throw new Error(`session ${session.sessionId}: not rotated from ${session.tokenId}`);
  }
  return { ...session, tokenId: successor };
}
