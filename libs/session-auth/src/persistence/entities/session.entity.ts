import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { RevocationReason } from '../../core/observer';

/**
 * One sign-in: the family its refresh tokens belong to, the state of that family (constant in size,
 * however often it is refreshed), and the row every change locks.
 */
@Entity({ name: 'sessions' })
@Index('sessions_user_created', ['userId', 'createdAt'])
@Index('sessions_ended_on', ['endedOn'])
export class Session {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz' })
  lastUsedAt!: Date;

  /** Idle end: the expiry of the live refresh token. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** Absolute end: no refresh token of this session outlives it. */
  @Column({ name: 'absolute_expires_at', type: 'timestamptz' })
  absoluteExpiresAt!: Date;

  /** When the session last proved the password: sign-in, or a reauthentication since. */
  @Column({ name: 'auth_time', type: 'timestamptz' })
  authTime!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_reason', type: 'text', nullable: true })
  revokedReason!: RevocationReason | null;

  /** The live refresh token's jti: the only one a refresh may rotate. */
  @Column({ name: 'current_token_id', type: 'uuid', nullable: true })
  currentTokenId!: string | null;

  /**
   * The jti of the token the live one succeeded (null before the first refresh): the only used
   * token answered inside the grace window. Any other token of the session is reuse.
   */
  @Column({ name: 'previous_token_id', type: 'uuid', nullable: true })
  previousTokenId!: string | null;

  /** When the live token was issued, to the millisecond: the predecessor's first use. */
  @Column({ name: 'current_issued_at', type: 'timestamptz' })
  currentIssuedAt!: Date;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  /**
   * The day (UTC) the session ended, by idle end or revocation: what housekeeping looks up. The
   * database computes it (`GENERATED ALWAYS AS ((LEAST(expires_at, revoked_at) AT TIME ZONE 'UTC')
   * ::date) STORED`, see the migration); described here as a column nothing writes, so that TypeORM
   * keeps no `typeorm_metadata` table in the host's schema for it.
   */
  @Column({ name: 'ended_on', type: 'date', insert: false, update: false })
  endedOn!: string;

  /** False for a session begun with `rememberMe: false`: its cookies end with the browser. */
  @Column({ type: 'boolean', default: true })
  persistent!: boolean;
}
