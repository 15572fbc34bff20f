import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PgPool, type Batches } from './pg-pool';

/** A counter: its failures, and the ms left in its window (0 or less: the window has closed). */
export interface FailureCount {
  key: Buffer;
  count: number;
  resetInMs: number;
}

const COUNTER_COLUMNS = `key, count,
   ceil(extract(epoch FROM window_ends_at - now()) * 1000)::float8 AS reset_in_ms`;

const READ = `SELECT ${COUNTER_COLUMNS} FROM login_failures WHERE key = ANY($1::bytea[])`;

/**
 * Parameters: keys (sorted, so that parallel statements lock rows in one order), window in ms.
 * One failure on each key, atomic per row: a closed window starts again at 1. Windows follow the
 * database clock, the same for every instance.
 */
const COUNT_FAILURE = `INSERT INTO login_failures AS f (key, count, window_ends_at)
 SELECT k.key, 1, now() + $2::int * interval '1 millisecond' FROM unnest($1::bytea[]) AS k (key)
 ON CONFLICT (key) DO UPDATE SET
   count = CASE WHEN f.window_ends_at > now() THEN f.count + 1 ELSE 1 END,
   window_ends_at = CASE WHEN f.window_ends_at > now() THEN f.window_ends_at
                         ELSE EXCLUDED.window_ends_at END
 RETURNING ${COUNTER_COLUMNS}`;

/**
 * Parameter: how many rows at most. The window is checked again on the row being deleted, so that
 * a counter a failure has just reopened survives; a counter a sign-in holds is left for the next
 * pass (SKIP LOCKED), so housekeeping never waits for one.
 */
const DELETE_EXPIRED = `WITH doomed AS (
   SELECT key FROM login_failures WHERE window_ends_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED
 ), deleted AS (
   DELETE FROM login_failures f USING doomed d WHERE f.key = d.key AND f.window_ends_at <= now()
   RETURNING 1
 )
 SELECT count(*)::int AS deleted FROM deleted`;

interface CounterRow {
  key: Buffer;
  count: number;
  reset_in_ms: number;
}

const DELETE_ONE = `DELETE FROM login_failures WHERE key = $1`;

/** The login-lockout counters (table login_failures): SQL on the DataSource's pg pool. */
@Injectable()
export class LoginFailuresRepository {
  private readonly sql: PgPool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.sql = new PgPool(dataSource);
  }

  /** The counters among `keys` that have a row, closed windows included. */
  async read(keys: Buffer[]): Promise<FailureCount[]> {
    const rows = await this.sql.query<CounterRow>(READ, [keys]);
    return rows.map(toCount);
  }

  /** Adds one failure to each key and returns the counts after it. */
  async count(keys: Buffer[], windowMs: number): Promise<FailureCount[]> {
    const sorted = [...keys].sort(Buffer.compare);
    const rows = await this.sql.query<CounterRow>(COUNT_FAILURE, [sorted, windowMs]);
    return rows.map(toCount);
  }

  async delete(key: Buffer): Promise<void> {
    await this.sql.query(DELETE_ONE, [key]);
  }

  /** Deletes counters whose window has closed, `batches.size` rows per statement; how many went. */
  deleteExpired(batches: Batches): Promise<number> {
    return this.sql.deleteInBatches(DELETE_EXPIRED, [], batches);
  }
}

function toCount(row: CounterRow): FailureCount {
  return { key: row.key, count: row.count, resetInMs: row.reset_in_ms };
}
