import { Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { SessionAuthError } from '../../core/errors';
import { ResolvedSessionAuthOptions } from '../../core/resolved-options';
import {
  type FailureCount,
  LoginFailuresRepository,
} from '../../persistence/login-failures.repository';
import { addressNetwork } from './address-network';
import { deviceIdOf, issueDeviceCookie } from './device-cookie';

/**
 * Against guesses spread over many addresses: clients without a device cookie for an account also
 * share one count of its failures, and this many times LOGIN_MAX_FAILURES of them lock every such
 * client out of it until the window closes. A browser with a device cookie keeps its own allowance.
 */
export const UNTRUSTED_CLIENT_FAILURES_FACTOR = 10;

/** Who makes a password check: the client address, and the device cookie it sent, if any. */
export interface LockoutClient {
  ip: string | null;
  deviceCookie: string | null;
}

/** One password check under way, from `LoginLockout.begin()`: what its outcome counts against. */
export interface PasswordAttempt {
  /** The account, as the email normalises. */
  readonly email: string;
  /** The id of the client's device cookie when it is valid for this account; else null. */
  readonly deviceId: string | null;
  /** The client's own counter first, then (without a device cookie) the account-wide one. */
  readonly counters: readonly { key: Buffer; limit: number }[];
  /** Whether the client's own counter has a row, so that a success deletes only what exists. */
  readonly clientCounted: boolean;
}

/**
 * The lockout: failed password checks (sign-in, password change) count per account and client,
 * and LOGIN_MAX_FAILURES of them within LOGIN_LOCK_WINDOW answer 429 to that client for that
 * account, the right password included, until the window closes. The client is the browser when
 * it holds a valid device cookie for the account, else the client address; so someone who knows
 * only the email locks out only themselves, and the owner signs in from elsewhere. Clients without
 * a device cookie also share a count per account (see UNTRUSTED_CLIENT_FAILURES_FACTOR).
 *
 * The counters live in PostgreSQL, which every sign-in already needs: exact across instances,
 * never evicted by a flood of other keys, and independent of Redis. Their keys are keyed hashes,
 * so the table holds no email or address. Unknown emails are counted alike, so a lock tells
 * nothing about who has an account.
 *
 * Failures are counted once the password is known to be wrong, so that parallel checks with the
 * right password all succeed. The price: guesses already being checked when the limit is reached
 * still get their answer, so a burst can overshoot the limit by its own concurrency, once per
 * window (each address is bounded by AUTH_RATE_LIMIT as well).
 */
@Injectable()
export class LoginLockout {
  constructor(
    private readonly options: ResolvedSessionAuthOptions,
    private readonly failures: LoginFailuresRepository,
  ) {}

  /** Throws 429 `too_many_requests` while this client is locked out of the account. */
  async begin(email: string, client: LockoutClient): Promise<PasswordAttempt> {
    const account = email.trim().toLowerCase();
    const deviceId = deviceIdOf(this.options.keys.deviceSecret, account, client.deviceCookie);
    const limit = this.options.loginMaxFailures;
    const counters = deviceId
      ? [{ key: this.counterKey('device', account, deviceId), limit }]
      : [
          { key: this.counterKey('address', account, addressOf(client.ip)), limit },
          {
            key: this.counterKey('account', account),
            limit: limit * UNTRUSTED_CLIENT_FAILURES_FACTOR,
          },
        ];
    const rows = await this.failures.read(counters.map((counter) => counter.key));
    const lockedForMs = Math.max(
      0,
      ...rows
        .filter((row) => row.resetInMs > 0 && row.count >= limitOf(counters, row))
        .map((row) => row.resetInMs),
    );
    if (lockedForMs > 0) {
      throw new SessionAuthError(
        'too_many_requests',
        'Too many failed sign-ins for this account; try again later.',
        { retryAfterSeconds: Math.max(1, Math.ceil(lockedForMs / 1000)) },
      );
    }
    return {
      email: account,
      deviceId,
      counters,
      clientCounted: rows.some((row) => row.key.equals(counters[0].key)),
    };
  }

  /** Counts a wrong password; true when this failure is the one that locks (once per lock). */
  async failed(attempt: PasswordAttempt): Promise<boolean> {
    const counted = await this.failures.count(
      attempt.counters.map((counter) => counter.key),
      this.options.loginLockWindowMs,
    );
    return counted.some((row) => row.count === limitOf(attempt.counters, row));
  }

  /** The right password: this client's failures are forgiven, the account-wide count is not. */
  async succeeded(attempt: PasswordAttempt): Promise<void> {
    if (attempt.clientCounted) await this.failures.delete(attempt.counters[0].key);
  }

  /** The device cookie for a browser that just signed in: its own id kept, when it had one. */
  deviceCookie(attempt: PasswordAttempt): string {
    return issueDeviceCookie(
      this.options.keys.deviceSecret,
      attempt.email,
      attempt.deviceId ?? undefined,
    );
  }

  private counterKey(...parts: string[]): Buffer {
    // NUL cannot occur in an email, an address or a device id: the parts never run together.
    return createHmac('sha256', this.options.keys.lockoutSecret).update(parts.join('\0')).digest();
  }
}

/** IPv6 by /64, as AUTH_RATE_LIMIT counts it: one host cannot rotate its way to more guesses. */
function addressOf(ip: string | null): string {
  return ip ? addressNetwork(ip) : 'unknown';
}

function limitOf(counters: PasswordAttempt['counters'], row: FailureCount): number {
  return counters.find((counter) => counter.key.equals(row.key))?.limit ?? Infinity;
}
