import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a user's roles last changed: the revocation catch-up reads recent changes, so that an
 * instance that missed the notification still stops honouring a removed role.
 */
export class RolesChangedAt1765000000000 implements MigrationInterface {
  name = 'RolesChangedAt1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN roles_changed_at timestamptz`);
    await queryRunner.query(
      `CREATE INDEX users_roles_changed_at ON users (roles_changed_at)
        WHERE roles_changed_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX users_roles_changed_at`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN roles_changed_at`);
  }
}
