import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Failed password checks of one account and client (or of one account from every client without
 * a device cookie) in a fixed window. Written only by LoginFailuresRepository's statements.
 */
@Entity({ name: 'login_failures' })
@Index('login_failures_window_ends_at', ['windowEndsAt'])
export class LoginFailure {
  /** A keyed hash (HMAC) of what is counted: no email or address is stored. */
  @PrimaryColumn({ type: 'bytea' })
  key!: Buffer;

  @Column({ type: 'integer' })
  count!: number;

  @Column({ name: 'window_ends_at', type: 'timestamptz' })
  windowEndsAt!: Date;
}
