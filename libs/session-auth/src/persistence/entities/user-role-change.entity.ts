import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The latest role change of one of the app's own users (see SessionsService.rolesChanged): what
 * the revocation catch-up reads, so that an instance that missed the notification still stops
 * honouring a removed role. Written only by UserRoleChangesRepository's statement.
 */
@Entity({ name: 'user_role_changes' })
@Index('user_role_changes_changed_at', ['changedAt'])
export class UserRoleChange {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text', array: true })
  roles!: string[];

  /** The database's clock, which orders this change against the notification's copy of it. */
  @Column({ name: 'changed_at', type: 'timestamptz' })
  changedAt!: Date;
}
