import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const SECURITY_EVENT_TYPES = [
  'registered',
  'login',
  'login_failed',
  'login_locked',
  'refresh_token_reused',
  'session_revoked',
  'logout_all',
  'password_changed',
  'session_evicted',
  'reauthenticated',
] as const;

export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

@Entity({ name: 'security_events' })
@Index('security_events_user_at', ['userId', 'at'])
@Index('security_events_at', ['at'])
export class SecurityEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  type!: SecurityEventType;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at!: Date;

  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId!: string | null;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;
}
