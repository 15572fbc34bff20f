import { MigrationInterface, QueryRunner } from 'typeorm';

export class LoginFailures1796536800000 implements MigrationInterface {
  name = 'LoginFailures1796536800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The lockout counters: in PostgreSQL, so that they are exact across instances and never
    // evicted by other keys, as the rate-limit counters in memory or Redis can be.
    await queryRunner.query(`
      CREATE TABLE login_failures (
        key bytea PRIMARY KEY,
        count integer NOT NULL,
        window_ends_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX login_failures_window_ends_at ON login_failures (window_ends_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE login_failures`);
  }
}
