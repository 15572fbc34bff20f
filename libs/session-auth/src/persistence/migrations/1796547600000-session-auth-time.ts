import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each session last proved the password (sign-in or reauthentication): the access tokens'
 * `auth_time`, which recent-authentication checks compare. Sessions begun before it proved it at
 * their creation. In both SESSION_AUTH_MIGRATIONS and SESSION_AUTH_CORE_MIGRATIONS.
 */
export class SessionAuthTime1796547600000 implements MigrationInterface {
  name = 'SessionAuthTime1796547600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sessions ADD COLUMN auth_time timestamptz`);
    await queryRunner.query(`UPDATE sessions SET auth_time = created_at`);
    await queryRunner.query(`ALTER TABLE sessions ALTER COLUMN auth_time SET NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sessions DROP COLUMN auth_time`);
  }
}
