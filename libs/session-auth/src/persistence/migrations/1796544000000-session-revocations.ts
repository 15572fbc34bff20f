import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The revocation feed's log (in both SESSION_AUTH_MIGRATIONS and SESSION_AUTH_CORE_MIGRATIONS):
 * one row per revocation, numbered by a sequence in commit order (see SessionsRepository.revoke),
 * kept until the last access token it concerns has expired.
 */
export class SessionRevocations1796544000000 implements MigrationInterface {
  name = 'SessionRevocations1796544000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE session_revocations_seq`);
    // No foreign key to sessions: housekeeping deletes a session long after its row here is gone,
    // and a `revoked-all` row names no session.
    await queryRunner.query(`
      CREATE TABLE session_revocations (
        seq bigint PRIMARY KEY,
        kind text NOT NULL,
        session_id uuid,
        revoked_at timestamptz NOT NULL,
        until timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX session_revocations_until ON session_revocations (until)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE session_revocations`);
    await queryRunner.query(`DROP SEQUENCE session_revocations_seq`);
  }
}
