import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SessionAuthError } from '../core/errors';
import type { User } from './entities/user.entity';
import { PgPool, Sql, type Batches } from './pg-pool';

const UNIQUE_VIOLATION = '23505';

/** Where a change of a user's roles is announced to every instance (see RevokedSessions). */
export const ROLES_CHANNEL = 'user_roles_changed';

/**
 * A role change as every instance reads it, from the notification or the catch-up read: the user,
 * its roles now, and when they changed (ms, the database's clock) to order the two sources.
 */
export interface RoleChange {
  id: string;
  roles: string[];
  at: number;
}

/** One row of `users` as a RoleChange, in JSON. */
export const ROLE_CHANGE_JSON = `json_build_object('id', id, 'roles', roles,
  'at', extract(epoch FROM roles_changed_at) * 1000)::text`;

const USER_COLUMNS = `id, email, password_hash AS "passwordHash", display_name AS "displayName",
   roles, roles_changed_at AS "rolesChangedAt", created_at AS "createdAt",
   updated_at AS "updatedAt"`;

const FIND_BY_ID = `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`;

const FIND_BY_EMAIL = `SELECT ${USER_COLUMNS} FROM users WHERE email = $1`;

/** Parameters: email, password hash, display name. A new account has the role `user`. */
const CREATE = `INSERT INTO users (email, password_hash, display_name, roles)
 VALUES ($1, $2, $3, '{user}')
 RETURNING ${USER_COLUMNS}`;

/** Parameters: user id, the verified hash, the new hash. */
const REPLACE_PASSWORD_HASH = `UPDATE users SET password_hash = $3, updated_at = CURRENT_TIMESTAMP
  WHERE id = $1 AND password_hash = $2
 RETURNING id`;

/**
 * Parameter: user id. No password matches an empty hash (PasswordHasher refuses what is not one),
 * and no session can start on it (see SessionsRepository.create).
 */
const CLOSE_ACCOUNT = `UPDATE users SET password_hash = '', updated_at = now() WHERE id = $1
 RETURNING id`;

/** Parameter: user id. Its sessions and events go by cascade. */
const DELETE_CLOSED_ACCOUNT = `DELETE FROM users WHERE id = $1 AND password_hash = ''`;

/**
 * Parameters: closed before, batch size. Accounts closed for deletion whose deletion did not
 * follow (the process stopped in between), through the partial index on closed accounts. SKIP
 * LOCKED, as every batched delete: an account a transaction holds is left for the next pass.
 */
const DELETE_CLOSED_BEFORE = `WITH doomed AS (
   SELECT id FROM users WHERE password_hash = '' AND updated_at < $1 LIMIT $2
      FOR UPDATE SKIP LOCKED
 ), deleted AS (
   DELETE FROM users u USING doomed d WHERE u.id = d.id AND u.password_hash = ''
   RETURNING 1
 )
 SELECT count(*)::int AS deleted FROM deleted`;

/**
 * Parameters: email, role, whether to remove it. The notification is delivered at commit.
 */
const CHANGE_ROLE = `WITH changed AS (
   UPDATE users
      SET roles = CASE WHEN $3::boolean THEN array_remove(roles, $2::text)
                       WHEN $2::text = ANY (roles) THEN roles
                       ELSE array_append(roles, $2::text) END,
          roles_changed_at = now(), updated_at = now()
    WHERE email = $1
   RETURNING *
 )
 SELECT email, roles, pg_notify('${ROLES_CHANNEL}', ${ROLE_CHANGE_JSON}) FROM changed`;

/** The built-in accounts (table users): SQL on the DataSource's pg pool. */
@Injectable()
export class UsersRepository {
  private readonly sql: PgPool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.sql = new PgPool(dataSource);
  }

  async findById(id: string): Promise<User | null> {
    const rows = await this.sql.query<User>(FIND_BY_ID, [id]);
    return rows[0] ?? null;
  }

  async findByEmail(email: string): Promise<User | null> {
    const rows = await this.sql.query<User>(FIND_BY_EMAIL, [email]);
    return rows[0] ?? null;
  }

  async create(fields: Pick<User, 'email' | 'passwordHash' | 'displayName'>): Promise<User> {
    try {
      const [user] = await this.sql.query<User>(CREATE, [
        fields.email,
        fields.passwordHash,
        fields.displayName,
      ]);
      return user;
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION) {
        throw new SessionAuthError('email_taken', 'An account with this email already exists.');
      }
      throw error;
    }
  }

  /**
   * Replaces the password hash only while it is still the one the caller verified, in one
   * statement: a change that committed meanwhile wins, and a hash of an old password never lands
   * over a new one. True when it was replaced. Inside the caller's transaction when `sql` is one.
   */
  async replacePasswordHash(
    id: string,
    verifiedHash: string,
    passwordHash: string,
    sql: Sql = this.sql,
  ): Promise<boolean> {
    const rows = await sql.query(REPLACE_PASSWORD_HASH, [id, verifiedHash, passwordHash]);
    return rows.length === 1;
  }

  /**
   * Makes the account's password unusable, inside the caller's transaction; its row lock waits for
   * sign-ins still creating their session. False when there is no such user.
   */
  async closeAccount(id: string, sql: Sql): Promise<boolean> {
    const rows = await sql.query(CLOSE_ACCOUNT, [id]);
    return rows.length === 1;
  }

  /** Deletes an account that `closeAccount` closed, and by cascade all that is the account's. */
  async deleteClosedAccount(id: string): Promise<void> {
    await this.sql.query(DELETE_CLOSED_ACCOUNT, [id]);
  }

  /** Housekeeping: finishes the deletions of accounts closed before `cutoff`; how many. */
  deleteClosedBefore(cutoff: Date, batches: Batches): Promise<number> {
    return this.sql.deleteInBatches(DELETE_CLOSED_BEFORE, [cutoff], batches);
  }

  /**
   * Grants or removes a role, stamps `roles_changed_at` and notifies every instance, in one
   * statement. Null when there is no such user.
   */
  async changeRole(
    email: string,
    role: string,
    remove: boolean,
  ): Promise<{ email: string; roles: string[] } | null> {
    const rows = await this.sql.query<{ email: string; roles: string[] }>(CHANGE_ROLE, [
      email,
      role,
      remove,
    ]);
    return rows[0] ?? null;
  }
}
