import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Session policies: whether a session outlives the browser (`rememberMe`), and the one moment
 * before which every session counts as revoked (`sessions:revoke-all`). Existing sessions were all
 * begun with `rememberMe` as it defaults, so they are persistent.
 */
export class SessionPolicies1796545800000 implements MigrationInterface {
  name = 'SessionPolicies1796545800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE sessions ADD COLUMN persistent boolean NOT NULL DEFAULT true`,
    );
    // One row at most: a revoke-all is one moment for every session, however many there are.
    await queryRunner.query(`
      CREATE TABLE sessions_revoked_before (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        at timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sessions_revoked_before`);
    await queryRunner.query(`ALTER TABLE sessions DROP COLUMN persistent`);
  }
}
