import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The library's tables for an app with its own users (SESSION_AUTH_CORE_MIGRATIONS): the same
 * columns and indexes SESSION_AUTH_MIGRATIONS end with, but no `users` table and no foreign key to
 * one, since the app's accounts live in a table of its own (which may well be called `users`).
 * Role changes are announced through `user_role_changes` instead of a column of `users`.
 */
export class SessionAuthCoreSchema1796540400000 implements MigrationInterface {
  name = 'SessionAuthCoreSchema1796540400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        last_used_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        absolute_expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_reason text,
        current_token_id uuid,
        user_agent text,
        ip text
      )`);
    await queryRunner.query(`CREATE INDEX sessions_user_created ON sessions (user_id, created_at)`);
    // The revocation catch-up reads recent revocations on every instance, every half second.
    await queryRunner.query(
      `CREATE INDEX sessions_revoked_at ON sessions (revoked_at) WHERE revoked_at IS NOT NULL`,
    );
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
    await queryRunner.query(`
      CREATE TABLE security_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id uuid NOT NULL,
        type text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        session_id uuid,
        ip text,
        user_agent text
      )`);
    await queryRunner.query(
      `CREATE INDEX security_events_user_at ON security_events (user_id, at)`,
    );
    await queryRunner.query(`
      CREATE TABLE login_failures (
        key bytea PRIMARY KEY,
        count integer NOT NULL,
        window_ends_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX login_failures_window_ends_at ON login_failures (window_ends_at)`,
    );
    await queryRunner.query(`
      CREATE TABLE user_role_changes (
        user_id uuid PRIMARY KEY,
        roles text[] NOT NULL,
        changed_at timestamptz NOT NULL
      )`);
    // The revocation catch-up reads recent role changes as it reads recent revocations.
    await queryRunner.query(
      `CREATE INDEX user_role_changes_changed_at ON user_role_changes (changed_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE user_role_changes`);
    await queryRunner.query(`DROP TABLE login_failures`);
    await queryRunner.query(`DROP TABLE security_events`);
    await queryRunner.query(`DROP TABLE refresh_tokens`);
    await queryRunner.query(`DROP TABLE sessions`);
  }
}
