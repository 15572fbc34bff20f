import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** What a row of the revocation feed's log says: one session, or every token issued before. */
export type RevocationKind = 'revoked' | 'revoked-all';

/**
 * One event of the revocation feed: `seq` orders events across instances in commit order, and
 * the row goes once `until` has passed. Written only by SessionsRepository.revoke's statement.
 */
@Entity({ name: 'session_revocations' })
@Index('session_revocations_until', ['until'])
export class SessionRevocation {
  @PrimaryColumn({ type: 'bigint' })
  seq!: string;

  @Column({ type: 'text' })
  kind!: RevocationKind;

  /** The revoked session; null for `revoked-all`. */
  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId!: string | null;

  /** When it was revoked; for `revoked-all`, the `before` its tokens' `iat` is compared with. */
  @Column({ name: 'revoked_at', type: 'timestamptz' })
  revokedAt!: Date;

  /** When the last access token it concerns expires (clock tolerance included). */
  @Column({ type: 'timestamptz' })
  until!: Date;
}
