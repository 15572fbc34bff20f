import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PgPool } from './pg-pool';
import { RoleChange, ROLES_CHANNEL } from './users.repository';

/** One row of `user_role_changes` as a RoleChange, in JSON: the listener's catch-up reads it. */
export const USER_ROLE_CHANGE_JSON = `json_build_object('id', user_id, 'roles', roles,
  'at', extract(epoch FROM changed_at) * 1000)::text`;

/**
 * Parameters: user id, its roles now. The time is taken once the row is locked, so that of two
 * changes of one user the one that commits later always carries the later time (the listener keeps
 * the latest). The notification is delivered at commit.
 */
const RECORD = `WITH changed AS (
   INSERT INTO user_role_changes (user_id, roles, changed_at)
   VALUES ($1, $2, clock_timestamp())
   ON CONFLICT (user_id) DO UPDATE SET roles = EXCLUDED.roles, changed_at = clock_timestamp()
   RETURNING user_id, roles, changed_at
 )
 SELECT user_id AS id, roles, (extract(epoch FROM changed_at) * 1000)::float8 AS at,
        pg_notify('${ROLES_CHANNEL}', ${USER_ROLE_CHANGE_JSON})
   FROM changed`;

/** Role changes of the app's own users (table user_role_changes): SQL on the DataSource's pg pool. */
@Injectable()
export class UserRoleChangesRepository {
  private readonly sql: PgPool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.sql = new PgPool(dataSource);
  }

  /** Keeps the user's roles as of now and notifies every instance, in one statement. */
  async record(userId: string, roles: string[]): Promise<RoleChange> {
    const [change] = await this.sql.query<RoleChange>(RECORD, [userId, roles]);
    return { id: change.id, roles: change.roles, at: change.at };
  }
}
