import { HttpStatus, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppError } from '../common/errors/app-error';
import { AppConfig } from '../config/app-config';
import { CounterStore } from './counter-store';

/** One sign-in attempt on one account, counted before its password is checked. */
export interface LoginAttempt {
  key: string;
  /** This attempt is the last one allowed in the window: failing it locks the account. */
  isLast: boolean;
}

/**
 * Per-account lockout: LOGIN_MAX_FAILURES failed sign-ins for one email within LOGIN_LOCK_WINDOW
 * answer 429 for that email until the window closes, whatever address they come from. Every
 * attempt is counted before its password is checked (so that parallel guesses cannot slip past the
 * limit), given back if it fails for a passing cause, and the count is cleared by a success.
 * Unknown emails are counted alike, so a lock tells nothing about who has an account.
 */
@Injectable()
export class LoginLockout {
  constructor(
    private readonly config: AppConfig,
    private readonly counters: CounterStore,
  ) {}

  /** Counts an attempt, or throws 429 `too_many_requests` while the email is locked. */
  async begin(email: string): Promise<LoginAttempt> {
    const key = lockoutKey(email);
    const { count, resetInMs } = await this.counters.hit(key, this.config.loginLockWindowMs);
    const max = this.config.loginMaxFailures;
    if (count > max) {
      throw new AppError(
        HttpStatus.TOO_MANY_REQUESTS,
        'too_many_requests',
        'Too many failed sign-ins for this account; try again later.',
        { retryAfterSeconds: Math.max(1, Math.ceil(resetInMs / 1000)) },
      );
    }
    return { key, isLast: count === max };
  }

  /** The attempt ended without a verdict on the password (database down, …): it does not count. */
  abandon(attempt: LoginAttempt): Promise<void> {
    return this.counters.decrement(attempt.key);
  }

  succeeded(attempt: LoginAttempt): Promise<void> {
    return this.counters.reset(attempt.key);
  }
}

/** Emails stay out of Redis: the counter is keyed by a hash. */
function lockoutKey(email: string): string {
  return `login:${createHash('sha256').update(email.trim().toLowerCase()).digest('base64url')}`;
}
