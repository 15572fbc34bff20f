import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One link of a session's refresh-token chain. Only a hash of the token is kept. */
@Entity({ name: 'refresh_tokens' })
@Index('refresh_tokens_session', ['sessionId'])
export class RefreshToken {
  /** The token's `jti`. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  /** SHA-256 of the whole signed token. */
  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash!: Buffer;

  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId!: string | null;

  @Column({ name: 'issued_at', type: 'timestamptz' })
  issuedAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'successor_id', type: 'uuid', nullable: true })
  successorId!: string | null;
}
