import type { ClientInfo, SessionUser } from './types';

/**
 * The accounts sessions belong to, when they are the app's own (`users` option): the library asks
 * this and never reads the app's users table. The built-in accounts implement it too.
 *
 * User ids must be UUIDs (they are the `sub` of every token and `uuid` columns of the sessions).
 */
export interface SessionAuthUsers {
  /**
   * The user these credentials belong to, or null when they are wrong or unknown. Should take
   * about as long for an unknown email as for a wrong password, so that timing tells no one which
   * emails have accounts. `client` is who asks, for the app's own records.
   */
  verifyCredentials(
    email: string,
    password: string,
    client: ClientInfo,
  ): Promise<SessionUser | null>;
  /** The user's current profile and roles, or null if the account no longer exists. */
  findById(id: string): Promise<SessionUser | null>;
  /**
   * Optional: whether this is the user's password. Enables recent-authentication checks
   * (`POST /auth/reauthenticate`).
   */
  verifyPassword?(userId: string, password: string): Promise<boolean>;
  /**
   * Optional: changes the password when `current` is right, answering false when it is wrong.
   * Enables `POST /auth/password`; the library revokes the user's other sessions afterwards.
   */
  changePassword?(userId: string, current: string, next: string): Promise<boolean>;
}

/** The DI token of the `SessionAuthUsers` the module uses: the app's, or the built-in accounts. */
export const SESSION_AUTH_USERS = 'SessionAuthUsers';
