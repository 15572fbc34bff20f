import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts closed for deletion (password hash emptied, sessions revoked) and not yet deleted, by
 * when they were closed: housekeeping finishes a deletion that a crash interrupted. Only the
 * built-in accounts have them: in SESSION_AUTH_MIGRATIONS alone.
 */
export class ClosedAccounts1796553600000 implements MigrationInterface {
  name = 'ClosedAccounts1796553600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX users_closed_at ON users (updated_at) WHERE password_hash = ''`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX users_closed_at`);
  }
}
