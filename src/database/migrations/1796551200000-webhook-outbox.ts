import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The webhook outbox: one row per security event still to deliver. A trigger on security_events
 * writes it, so the row commits or rolls back with the statement that recorded the event (every
 * statement of the library that records one, CTEs included, without changing any of them). The row
 * copies the event rather than pointing at it: an account deleted meanwhile takes its events with
 * it, and its last events must still go out.
 */
export class WebhookOutbox1796551200000 implements MigrationInterface {
  name = 'WebhookOutbox1796551200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_outbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event_type text NOT NULL,
        user_id uuid NOT NULL,
        session_id uuid,
        ip text,
        user_agent text,
        at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        dead_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE dead_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE FUNCTION enqueue_security_event_webhook() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO webhook_outbox (event_type, user_id, session_id, ip, user_agent, at)
        VALUES (NEW.type, NEW.user_id, NEW.session_id, NEW.ip, NEW.user_agent, NEW.at);
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER security_events_webhook AFTER INSERT ON security_events
      FOR EACH ROW EXECUTE FUNCTION enqueue_security_event_webhook()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER security_events_webhook ON security_events`);
    await queryRunner.query(`DROP FUNCTION enqueue_security_event_webhook()`);
    await queryRunner.query(`DROP TABLE webhook_outbox`);
  }
}
