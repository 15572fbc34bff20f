import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Storage bounded per session: a session keeps the state of its refresh tokens in its own row (the
 * live token's id, its predecessor's id, when the live one was issued) instead of a row per token
 * ever issued, and `refresh_tokens` goes. Existing sessions move over with the tokens their
 * clients hold: the live token stays live, and its predecessor keeps its grace window. Housekeeping
 * finds ended sessions (by the day they ended) and old security events through indexes of their
 * own. In both
 * SESSION_AUTH_MIGRATIONS and SESSION_AUTH_CORE_MIGRATIONS.
 */
export class BoundedSessionStorage1796553000000 implements MigrationInterface {
  name = 'BoundedSessionStorage1796553000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE sessions ADD COLUMN previous_token_id uuid,
                           ADD COLUMN current_issued_at timestamptz`,
    );
    // The predecessor is the token whose successor is the live one; it was used when the live
    // one was issued (to the millisecond, as the grace window counts). A session never refreshed
    // has no predecessor: its live token was issued with it.
    await queryRunner.query(
      `UPDATE sessions s
          SET previous_token_id = p.id,
              current_issued_at = coalesce(p.used_at, c.issued_at, s.created_at)
         FROM sessions x
         LEFT JOIN refresh_tokens c ON c.id = x.current_token_id
         LEFT JOIN refresh_tokens p ON p.session_id = x.id AND p.successor_id = x.current_token_id
        WHERE x.id = s.id`,
    );
    await queryRunner.query(`ALTER TABLE sessions ALTER COLUMN current_issued_at SET NOT NULL`);
    await queryRunner.query(`DROP TABLE refresh_tokens`);
    // The day a session ended (idle end or revocation), for housekeeping's index. A stored column
    // of its own, not an index on expires_at: a refresh moves expires_at, and an indexed column
    // that changes makes every refresh a non-HOT update, a new entry in each of the table's
    // indexes. This one changes at most once a day per session.
    await queryRunner.query(
      `ALTER TABLE sessions ADD COLUMN ended_on date
         GENERATED ALWAYS AS ((LEAST(expires_at, revoked_at) AT TIME ZONE 'UTC')::date) STORED`,
    );
    await queryRunner.query(`CREATE INDEX sessions_ended_on ON sessions (ended_on)`);
    await queryRunner.query(`CREATE INDEX security_events_at ON security_events (at)`);
  }

  /**
   * Puts the table back with one row per live token, as the earlier schema kept it; the hash of
   * the token was not kept since, so a refresh after going back needs a new sign-in.
   */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX security_events_at`);
    await queryRunner.query(`ALTER TABLE sessions DROP COLUMN ended_on`);
    await queryRunner.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        parent_id uuid,
        issued_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        successor_id uuid
      )`);
    await queryRunner.query(`CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)`);
    await queryRunner.query(
      `ALTER TABLE sessions DROP COLUMN previous_token_id, DROP COLUMN current_issued_at`,
    );
  }
}
