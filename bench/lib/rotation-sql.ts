/**
 * The statements the service runs for one refresh-token rotation (the live token presented once),
 * issued straight through `pg`: the floor under POST /auth/refresh. The SQL is the service's own,
 * imported from its repository, so the two cannot drift apart.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { READ_FOR_ROTATION, ROTATE_IF_CURRENT } from '@session-service/nestjs/internal';

export const ROTATION_STATEMENTS = [
  'SELECT the session, its user, the token and its successor (no lock, no transaction)',
  'WITH rotated AS (UPDATE sessions … WHERE current_token_id = $2 AND revoked_at IS NULL), ' +
    'used AS (UPDATE refresh_tokens …), successor AS (INSERT …) SELECT count(*)',
];

export interface RawSession {
  sessionId: string;
  userId: string;
  tokenId: string;
}

/** One rotation of `session`, as the service does it; returns the session with its new token. */
export async function rotateOnce(pool: Pool, session: RawSession): Promise<RawSession> {
  const { rows } = await pool.query(READ_FOR_ROTATION, [session.sessionId, session.tokenId]);
  if (rows[0]?.current_token_id !== session.tokenId) {
    throw new Error(`session ${session.sessionId} is not at token ${session.tokenId}`);
  }
  const now = new Date();
  const successor = randomUUID();
  const hash = randomBytes(32);
  const written = await pool.query(ROTATE_IF_CURRENT, [
    session.sessionId,
    session.tokenId,
    now,
    successor,
    hash,
    new Date(now.getTime() + 7 * 24 * 3_600_000),
    new Date(Math.floor(now.getTime() / 1000) * 1000),
  ]);
  if (written.rows[0]?.rotated !== 1) throw new Error(`session ${session.sessionId}: not rotated`);
  return { ...session, tokenId: successor };
}
