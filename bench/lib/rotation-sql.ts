/**
 * The statements the service runs for one refresh-token rotation, issued straight through `pg`:
 * the floor under POST /auth/refresh. Kept in step with src/sessions/sessions.repository.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';

export const ROTATION_STATEMENTS = [
  'START TRANSACTION',
  'SET TRANSACTION ISOLATION LEVEL READ COMMITTED',
  'SELECT … FOR UPDATE OF s (session, user, token, successor)',
  'WITH used AS (UPDATE …), successor AS (INSERT …) UPDATE sessions …',
  'COMMIT',
];

const LOCK_FOR_ROTATION = `SELECT s.id AS session_id, s.user_id, s.revoked_at, s.absolute_expires_at,
              s.current_token_id, u.email, u.display_name, u.roles,
              u.created_at AS user_created_at,
              t.id AS token_id, t.token_hash, t.expires_at AS token_expires_at, t.used_at,
              t.successor_id, n.issued_at AS successor_issued_at,
              n.expires_at AS successor_expires_at
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         LEFT JOIN refresh_tokens t ON t.id = $2 AND t.session_id = s.id
         LEFT JOIN refresh_tokens n ON n.id = t.successor_id
        WHERE s.id = $1
          FOR UPDATE OF s`;

const ROTATE = `WITH used AS (
         UPDATE refresh_tokens SET used_at = $3, successor_id = $4 WHERE id = $2
       ), successor AS (
         INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, issued_at, expires_at)
         VALUES ($4, $1, $5, $2, $3, $6)
       )
       UPDATE sessions SET current_token_id = $4, last_used_at = $3, expires_at = $6
        WHERE id = $1`;

export interface RawSession {
  sessionId: string;
  userId: string;
  tokenId: string;
  tokenHash: Buffer;
}

/** One rotation of `session`, as the service does it; returns the session with its new token. */
export async function rotateOnce(client: PoolClient, session: RawSession): Promise<RawSession> {
  const now = new Date();
  const successor = randomUUID();
  const hash = randomBytes(32);
  await client.query('START TRANSACTION');
  try {
    await client.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
    const { rows } = await client.query(LOCK_FOR_ROTATION, [session.sessionId, session.tokenId]);
    if (rows[0]?.current_token_id !== session.tokenId) {
      throw new Error(`session ${session.sessionId} is not at token ${session.tokenId}`);
    }
    await client.query(ROTATE, [
      session.sessionId,
      session.tokenId,
      now,
      successor,
      hash,
      new Date(now.getTime() + 7 * 24 * 3_600_000),
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  return { ...session, tokenId: successor, tokenHash: hash };
}
