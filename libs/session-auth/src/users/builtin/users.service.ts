import { Injectable } from '@nestjs/common';
import { SessionAuthError } from '../../core/errors';
import type { SecurityEvent } from '../../persistence/entities/security-event.entity';
import type { User } from '../../persistence/entities/user.entity';
import type { Sql } from '../../persistence/pg-pool';
import {
  type SecurityEventInput,
  SecurityEventsRepository,
} from '../../persistence/security-events.repository';
import { UsersRepository } from '../../persistence/users.repository';
import { PasswordHasher } from './password-hasher';
import { EMAIL_PASSWORD_MESSAGE, isTheEmail } from './password-policy';

/** Who is calling, as the security events record it. */
type ClientInfo = Pick<SecurityEventInput, 'ip' | 'userAgent'>;

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly events: SecurityEventsRepository,
  ) {}

  async register(
    input: { email: string; password: string; displayName?: string | null },
    client: ClientInfo,
  ): Promise<User> {
    const user = await this.users.create({
      email: input.email,
      passwordHash: await this.hasher.hash(input.password),
      displayName: input.displayName ?? null,
    });
    await this.events.record({ userId: user.id, type: 'registered', ...client });
    return user;
  }

  /**
   * The user whose password this is, or null; its `passwordHash` is the credential just verified,
   * which the session to start is bound to (see SessionsService.start). An unknown email costs one argon2 verification too,
   * so that timing does not tell which emails have accounts.
   */
  async authenticate(email: string, password: string, client: ClientInfo): Promise<User | null> {
    const user = await this.users.findByEmail(email);
    const valid = await this.hasher.verify(user?.passwordHash ?? null, password);
    if (!user) return null;
    if (!valid) {
      await this.events.record({ userId: user.id, type: 'login_failed', ...client });
      return null;
    }
    if (await this.hasher.needsRehash(user.passwordHash)) {
      const rehashed = await this.hasher.hash(password);
      // Lost to a password change: the old hash stays the credential, and the session refuses it.
      if (await this.users.replacePasswordHash(user.id, user.passwordHash, rehashed)) {
        user.passwordHash = rehashed;
      }
    }
    return user;
  }

  /** Whether this is the user's password; an unknown user costs one argon2 verification too. */
  async verifyPassword(userId: string, password: string): Promise<boolean> {
    const user = await this.users.findById(userId);
    return this.hasher.verify(user?.passwordHash ?? null, password);
  }

  /**
   * Checks a password change: the new password's rules, then the current one. Returns the hash it
   * verified and the new one, for `commitPasswordChange`; throws 403 for a wrong current password.
   */
  async preparePasswordChange(
    userId: string,
    current: string,
    next: string,
  ): Promise<{ verifiedHash: string; newHash: string }> {
    const user = await this.users.findById(userId);
    if (user && isTheEmail(next, user.email)) {
      throw new SessionAuthError('validation_failed', 'The request is not valid.', {
        errors: [{ field: 'newPassword', messages: [`newPassword ${EMAIL_PASSWORD_MESSAGE}`] }],
      });
    }
    if (!user || !(await this.hasher.verify(user.passwordHash, current))) {
      throw new SessionAuthError(
        'current_password_invalid',
        'The current password is not correct.',
      );
    }
    return { verifiedHash: user.passwordHash, newHash: await this.hasher.hash(next) };
  }

  /** Writes the new hash, only over the one that was verified, inside the caller's transaction. */
  async commitPasswordChange(
    userId: string,
    change: { verifiedHash: string; newHash: string },
    sql: Sql,
  ): Promise<void> {
    const replaced = await this.users.replacePasswordHash(
      userId,
      change.verifiedHash,
      change.newHash,
      sql,
    );
    // Another change committed since the verification: the password proved is no longer current.
    if (!replaced) {
      throw new SessionAuthError(
        'current_password_invalid',
        'The current password is not correct.',
      );
    }
  }

  /**
   * Deletes the account. `revokeSessions` runs `close` (the password made unusable, so that no
   * session can start any more) in the transaction that revokes every session, and returns once
   * the revocation has reached every instance; only then does the row go, and with it, by cascade,
   * the sessions, their refresh tokens and the security events. The email is free again after.
   */
  async deleteAccount(
    userId: string,
    revokeSessions: (close: (sql: Sql) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    await revokeSessions(async (sql) => {
      if (!(await this.users.closeAccount(userId, sql))) {
        throw new SessionAuthError('not_found', 'This account no longer exists.');
      }
    });
    await this.users.deleteClosedAccount(userId);
  }

  /** A wrong password given for a signed-in account (a password change, say). */
  async recordLoginFailed(userId: string, client: ClientInfo): Promise<void> {
    await this.events.record({ userId, type: 'login_failed', ...client });
  }

  /** The lockout closed on this email: recorded for the account, if there is one. */
  async recordLoginLocked(email: string, client: ClientInfo): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (user) await this.events.record({ userId: user.id, type: 'login_locked', ...client });
  }

  async profile(userId: string): Promise<User> {
    const user = await this.users.findById(userId);
    if (!user) throw new SessionAuthError('not_found', 'This account no longer exists.');
    return user;
  }

  securityEvents(userId: string): Promise<SecurityEvent[]> {
    return this.events.latestForUser(userId, 50);
  }
}
