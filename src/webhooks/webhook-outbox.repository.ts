import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { SecurityEventType } from '@session-service/nestjs';
import type { DataSource } from 'typeorm';

/** A security event taken from the outbox for one delivery attempt. */
export interface ClaimedDelivery {
  /** The outbox row's id, sent as `webhook-id`: the same on every attempt. */
  id: string;
  type: SecurityEventType;
  userId: string;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  at: Date;
  /** Attempts so far, this one included: it also fences the row against a later claim. */
  attempts: number;
}

/**
 * Parameters: how many rows at most, the lease in ms. Takes due rows no other transaction holds
 * (SKIP LOCKED: instances never wait on each other) and leases them by moving their next attempt
 * past the attempt's timeout: the row locks end with this statement, the lease does not, and a
 * process killed mid-attempt leaves a row that is simply due again when its lease runs out. The
 * whole statement ends in a SELECT, so that DataSource.query answers with the rows.
 */
const CLAIM = `WITH due AS (
   SELECT id FROM webhook_outbox
    WHERE dead_at IS NULL AND next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
 ), claimed AS (
   UPDATE webhook_outbox AS o
      SET attempts = o.attempts + 1, next_attempt_at = now() + $2 * interval '1 millisecond'
     FROM due
    WHERE o.id = due.id
   RETURNING o.id, o.event_type AS type, o.user_id AS "userId", o.session_id AS "sessionId", o.ip,
             o.user_agent AS "userAgent", o.at, o.attempts
 )
 SELECT * FROM claimed ORDER BY at`;

/*
 * The settlements of an attempt. Each is fenced by `attempts`: once a lease has run out and
 * another instance claimed the row again, the late settlement of the earlier attempt changes
 * nothing.
 */

/** Parameters: id, attempts. */
const DELIVERED = `DELETE FROM webhook_outbox WHERE id = $1 AND attempts = $2`;

/** Parameters: id, attempts, delay in ms, the failure. */
const RETRY_LATER = `UPDATE webhook_outbox
    SET next_attempt_at = now() + $3 * interval '1 millisecond', last_error = $4
  WHERE id = $1 AND attempts = $2`;

/** Parameters: id, attempts, the failure. */
const BURY = `UPDATE webhook_outbox SET dead_at = now(), last_error = $3
  WHERE id = $1 AND attempts = $2`;

/** Parameters: id, attempts. An attempt abandoned at shutdown is due again at once. */
const RELEASE = `UPDATE webhook_outbox SET next_attempt_at = now() WHERE id = $1 AND attempts = $2`;

/**
 * Parameters: the cutoff, the batch size. Dead deliveries through their partial index, a batch at
 * a time; instances pruning at once take different rows (SKIP LOCKED).
 */
const DELETE_DEAD_BEFORE = `WITH doomed AS (
   SELECT id FROM webhook_outbox WHERE dead_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED
 ), deleted AS (
   DELETE FROM webhook_outbox o USING doomed d WHERE o.id = d.id
   RETURNING 1
 )
 SELECT count(*)::int AS count FROM deleted`;

/**
 * Parameters: the cutoff, the batch size. Events recorded before the cutoff, through the index on
 * `at`, a batch at a time; a row a delivery attempt holds is left for the next prune.
 */
const DELETE_RECORDED_BEFORE = `WITH doomed AS (
   SELECT id FROM webhook_outbox WHERE at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED
 ), deleted AS (
   DELETE FROM webhook_outbox o USING doomed d WHERE o.id = d.id
   RETURNING 1
 )
 SELECT count(*)::int AS count FROM deleted`;

/** The webhook outbox (table webhook_outbox, filled by a trigger on security_events): SQL only. */
@Injectable()
export class WebhookOutboxRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  claim(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return this.dataSource.query<ClaimedDelivery[]>(CLAIM, [limit, leaseMs]);
  }

  async delivered(delivery: ClaimedDelivery): Promise<void> {
    await this.dataSource.query(DELIVERED, [delivery.id, delivery.attempts]);
  }

  async retryLater(delivery: ClaimedDelivery, delayMs: number, failure: string): Promise<void> {
    await this.dataSource.query(RETRY_LATER, [delivery.id, delivery.attempts, delayMs, failure]);
  }

  async bury(delivery: ClaimedDelivery, failure: string): Promise<void> {
    await this.dataSource.query(BURY, [delivery.id, delivery.attempts, failure]);
  }

  async release(delivery: ClaimedDelivery): Promise<void> {
    await this.dataSource.query(RELEASE, [delivery.id, delivery.attempts]);
  }

  /** Deletes at most `limit` deliveries that died before `cutoff`; how many. */
  deleteDeadBefore(cutoff: Date, limit: number): Promise<number> {
    return this.count(DELETE_DEAD_BEFORE, [cutoff, limit]);
  }

  /** Deletes at most `limit` events recorded before `cutoff`; how many. */
  deleteRecordedBefore(cutoff: Date, limit: number): Promise<number> {
    return this.count(DELETE_RECORDED_BEFORE, [cutoff, limit]);
  }

  private async count(sql: string, params: unknown[]): Promise<number> {
    const [{ count }] = await this.dataSource.query<{ count: number }[]>(sql, params);
    return count;
  }
}
