import { HttpStatus, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppError } from '../common/errors/app-error';
import { AppConfig } from '../config/app-config';
import { CounterStore } from './counter-store';

/**
 * Per-account lockout: LOGIN_MAX_FAILURES failed sign-ins for one email within LOGIN_LOCK_WINDOW
 * answer 429 for that email until the window closes, whatever address they come from, the right
 * password included. The window opens with the first failure; a success clears the count.
 * Unknown emails are counted alike, so a lock tells nothing about who has an account.
 *
 * Failures are counted once the password is known to be wrong, so that parallel sign-ins with the
 * right password all succeed. The price: guesses already being checked when the limit is reached
 * still get their answer, so a burst can overshoot the limit by its own concurrency, once per
 * window (each address is bounded by AUTH_RATE_LIMIT as well).
 */
@Injectable()
export class LoginLockout {
  constructor(
    private readonly config: AppConfig,
    private readonly counters: CounterStore,
  ) {}

  /** Throws 429 `too_many_requests` while the email is locked. */
  async assertNotLocked(email: string): Promise<void> {
    const failures = await this.counters.peek(lockoutKey(email));
    if (failures && failures.count >= this.config.loginMaxFailures) {
      throw new AppError(
        HttpStatus.TOO_MANY_REQUESTS,
        'too_many_requests',
        'Too many failed sign-ins for this account; try again later.',
        { retryAfterSeconds: Math.max(1, Math.ceil(failures.resetInMs / 1000)) },
      );
    }
  }

  /** Counts a wrong password; true when this failure is the one that locks the email. */
  async recordFailure(email: string): Promise<boolean> {
    const { count } = await this.counters.hit(lockoutKey(email), this.config.loginLockWindowMs);
    return count === this.config.loginMaxFailures;
  }

  cleared(email: string): Promise<void> {
    return this.counters.reset(lockoutKey(email));
  }
}

/** Emails stay out of Redis: the counter is keyed by a hash. */
function lockoutKey(email: string): string {
  return `login:${createHash('sha256').update(email.trim().toLowerCase()).digest('base64url')}`;
}
