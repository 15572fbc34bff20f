import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for pruning the webhook outbox a batch at a time: by when each event was recorded (with
 * webhooks off the outbox holds a day of events, and each hourly prune used to scan all of it in one
 * statement) and, for the few that died, by when they did.
 */
export class WebhookOutboxPruneIndexes1796554200000 implements MigrationInterface {
  name = 'WebhookOutboxPruneIndexes1796554200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX webhook_outbox_recorded ON webhook_outbox (at)`);
    await queryRunner.query(
      `CREATE INDEX webhook_outbox_dead ON webhook_outbox (dead_at) WHERE dead_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX webhook_outbox_dead`);
    await queryRunner.query(`DROP INDEX webhook_outbox_recorded`);
  }
}
