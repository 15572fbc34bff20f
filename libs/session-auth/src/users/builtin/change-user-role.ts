import type { DataSource } from 'typeorm';
import { UsersRepository } from '../../persistence/users.repository';

/**
 * Grants or removes one of a built-in account's roles, on an initialised DataSource outside any
 * app (a command-line tool, a migration script). A granted role shows in access tokens from the
 * user's next refresh; a removed one stops counting on every running instance within
 * `revocationPropagation`. Null when no account has this email.
 */
export function changeUserRole(
  dataSource: DataSource,
  email: string,
  role: string,
  remove = false,
): Promise<{ email: string; roles: string[] } | null> {
  return new UsersRepository(dataSource).changeRole(email.trim().toLowerCase(), role, remove);
}
