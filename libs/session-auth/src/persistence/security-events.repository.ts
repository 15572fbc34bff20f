import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { SecurityEvent, SecurityEventType } from './entities/security-event.entity';
import { PgPool, type Batches } from './pg-pool';

export interface SecurityEventInput {
  userId: string;
  type: SecurityEventType;
  sessionId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * The head of every insert into security_events, followed by VALUES or a SELECT of the five
 * columns; SessionsRepository records a session's events with it in the statement that changes
 * the session. `at` is the database's clock.
 */
export const RECORD_SECURITY_EVENT =
  'INSERT INTO security_events (user_id, type, session_id, ip, user_agent)';

const RECORD = `${RECORD_SECURITY_EVENT} VALUES ($1, $2, $3, $4, $5)`;

/** Parameters: user id, how many at most. Newest first. */
const LATEST_FOR_USER = `SELECT id, user_id AS "userId", type, at, session_id AS "sessionId", ip,
        user_agent AS "userAgent"
   FROM security_events
  WHERE user_id = $1
  ORDER BY at DESC, id DESC
  LIMIT $2`;

/**
 * Parameters: the cutoff, the batch size. Through the index on `at`, a batch at a time; instances
 * running it at once take different rows (SKIP LOCKED).
 */
const DELETE_OLDER_THAN = `WITH doomed AS (
   SELECT id FROM security_events WHERE at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED
 ), deleted AS (
   DELETE FROM security_events e USING doomed d WHERE e.id = d.id
   RETURNING 1
 )
 SELECT count(*)::int AS deleted FROM deleted`;

/** The security events (table security_events): SQL on the DataSource's pg pool. */
@Injectable()
export class SecurityEventsRepository {
  private readonly sql: PgPool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.sql = new PgPool(dataSource);
  }

  async record(event: SecurityEventInput): Promise<void> {
    await this.sql.query(RECORD, [
      event.userId,
      event.type,
      event.sessionId ?? null,
      event.ip ?? null,
      event.userAgent ?? null,
    ]);
  }

  latestForUser(userId: string, limit = 50): Promise<SecurityEvent[]> {
    return this.sql.query<SecurityEvent>(LATEST_FOR_USER, [userId, limit]);
  }

  deleteOlderThan(cutoff: Date, batches: Batches): Promise<number> {
    return this.sql.deleteInBatches(DELETE_OLDER_THAN, [cutoff], batches);
  }
}
