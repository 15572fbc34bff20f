import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * At most one row: the moment of the last `sessions:revoke-all`. Every session created before it
 * is revoked, and every access token issued before it refused, without a row or an id per session.
 */
@Entity({ name: 'sessions_revoked_before' })
export class SessionsRevokedBefore {
  @PrimaryColumn({ type: 'boolean', default: true })
  singleton!: boolean;

  /** A whole second of the database's clock, compared with access tokens' `iat`. */
  @Column({ type: 'timestamptz' })
  at!: Date;
}
