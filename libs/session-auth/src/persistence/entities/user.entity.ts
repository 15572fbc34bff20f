import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Trimmed and lower-cased before it is stored; unique. */
  @Column({ type: 'text', unique: true })
  email!: string;

  /** argon2id, PHC string form. */
  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 100, nullable: true })
  displayName!: string | null;

  @Column({ type: 'text', array: true, default: () => "'{user}'" })
  roles!: string[];

  /** When `roles` last changed (the database's clock): see UsersRepository.changeRole. */
  @Column({ name: 'roles_changed_at', type: 'timestamptz', nullable: true })
  rolesChangedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
