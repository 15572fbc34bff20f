import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { RevocationKind } from './entities/session-revocation.entity';
import { PgPool, type Batches } from './pg-pool';

/**
 * The transaction-level advisory lock that numbers the revocation feed's log: held from `nextval`
 * to commit, so that sequence order is commit order and a reader never sees seq N+1 before N.
 * An arbitrary constant ("revo" in ASCII), unlikely to be an app's own lock key.
 */
export const REVOCATION_LOG_LOCK = 0x7265766f;

/** A row of the revocation feed's log, `seq` as the decimal text of its bigint. */
export interface RevocationLogRow {
  seq: string;
  kind: RevocationKind;
  session_id: string | null;
  revoked_at: Date;
  until: Date;
}

/**
 * Parameter: the last seq already read ('0' for none). The rows after it still inside the window,
 * in seq order, which is commit order (see SessionsRepository.revoke): a row not yet visible can
 * only have a greater seq than every row returned. Ordered by the bigint column, not by the text
 * the row carries ('10' sorts before '8').
 */
const READ_AFTER = `SELECT r.seq::text AS seq, r.kind, r.session_id, r.revoked_at, r.until
   FROM session_revocations r
  WHERE r.seq > $1::bigint AND r.until > now()
  ORDER BY r.seq`;

/** Parameter: how many rows at most. Instances running it at once take different rows. */
const DELETE_EXPIRED = `WITH doomed AS (
   SELECT seq FROM session_revocations WHERE until <= now() LIMIT $1 FOR UPDATE SKIP LOCKED
 ), deleted AS (
   DELETE FROM session_revocations r USING doomed d WHERE r.seq = d.seq
   RETURNING 1
 )
 SELECT count(*)::int AS deleted FROM deleted`;

/**
 * The revocation feed's log (table session_revocations), read by every instance's feed and
 * trimmed by housekeeping; SessionsRepository.revoke writes it.
 */
@Injectable()
export class RevocationLogRepository {
  private readonly sql: PgPool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.sql = new PgPool(dataSource);
  }

  readAfter(seq: string): Promise<RevocationLogRow[]> {
    return this.sql.query<RevocationLogRow>(READ_AFTER, [seq]);
  }

  /** Deletes rows past their `until`, `batches.size` per statement; how many went. */
  deleteExpired(batches: Batches): Promise<number> {
    return this.sql.deleteInBatches(DELETE_EXPIRED, [], batches);
  }
}
