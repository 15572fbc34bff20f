import { createHash } from 'node:crypto';
import { SessionAuthError } from '../../core/errors';
import type { ResolvedSessionAuthOptions } from '../../core/resolved-options';
import type {
  FailureCount,
  LoginFailuresRepository,
} from '../../persistence/login-failures.repository';
import { issueDeviceCookie } from './device-cookie';
import { LoginLockout, UNTRUSTED_CLIENT_FAILURES_FACTOR } from './login-lockout';

/** The table's statements, in memory: what LoginLockout asks of them, and the keys it uses. */
class FakeFailures {
  rows = new Map<string, { key: Buffer; count: number; endsAt: number }>();
  now = 0;
  deleted: Buffer[] = [];

  read(keys: Buffer[]): Promise<FailureCount[]> {
    const rows = keys.flatMap((key) => {
      const row = this.rows.get(key.toString('hex'));
      return row ? [{ key: row.key, count: row.count, resetInMs: row.endsAt - this.now }] : [];
    });
    return Promise.resolve(rows);
  }

  count(keys: Buffer[], windowMs: number): Promise<FailureCount[]> {
    return Promise.resolve(
      keys.map((key) => {
        let row = this.rows.get(key.toString('hex'));
        if (!row || row.endsAt <= this.now) row = { key, count: 0, endsAt: this.now + windowMs };
        row.count += 1;
        this.rows.set(key.toString('hex'), row);
        return { key, count: row.count, resetInMs: row.endsAt - this.now };
      }),
    );
  }

  delete(key: Buffer): Promise<void> {
    this.deleted.push(key);
    this.rows.delete(key.toString('hex'));
    return Promise.resolve();
  }
}

const MAX = 3;
const deviceSecret = Buffer.alloc(32, 2);

function lockoutWith(lockoutSecret = Buffer.alloc(32, 1)) {
  const options = {
    loginMaxFailures: MAX,
    loginLockWindowMs: 60_000,
    keys: { lockoutSecret, deviceSecret },
  } as unknown as ResolvedSessionAuthOptions;
  const failures = new FakeFailures();
  return {
    failures,
    lockout: new LoginLockout(options, failures as unknown as LoginFailuresRepository),
  };
}

const EMAIL = 'ada@example.com';
const from = (ip: string, deviceCookie: string | null = null) => ({ ip, deviceCookie });

async function refusal(promise: Promise<unknown>): Promise<SessionAuthError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SessionAuthError);
  return error as SessionAuthError;
}

describe('LoginLockout', () => {
  it('keys its counters by a keyed hash: no email, no plain SHA-256, another secret other keys', async () => {
    const a = lockoutWith();
    const b = lockoutWith(Buffer.alloc(32, 9));
    const keysOf = async (lockout: LoginLockout) =>
      (await lockout.begin(EMAIL, from('203.0.113.7'))).counters.map((c) => c.key.toString('hex'));
    const keys = await keysOf(a.lockout);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
    for (const key of keys) {
      expect(key).toHaveLength(64);
      expect(key).not.toBe(createHash('sha256').update(EMAIL).digest('hex'));
      expect(Buffer.from(key, 'hex').toString('latin1')).not.toContain('ada');
    }
    expect(await keysOf(b.lockout)).not.toEqual(expect.arrayContaining([keys[0]]));
    expect(await keysOf(b.lockout)).not.toEqual(expect.arrayContaining([keys[1]]));
    // The same account however the email is spelt.
    expect(await keysOf(a.lockout)).toEqual(
      (await a.lockout.begin(' ADA@Example.com ', from('203.0.113.7'))).counters.map((c) =>
        c.key.toString('hex'),
      ),
    );
  });

  it('locks one address out of one account after LOGIN_MAX_FAILURES, once', async () => {
    const { lockout } = lockoutWith();
    const locks = [];
    for (let i = 0; i < MAX; i++) {
      locks.push(await lockout.failed(await lockout.begin(EMAIL, from('203.0.113.7'))));
    }
    expect(locks).toEqual([false, false, true]);
    const error = await refusal(lockout.begin(EMAIL, from('203.0.113.7')));
    expect(error.reason).toBe('too_many_requests');
    expect(error.details.retryAfterSeconds).toBe(60);
    // Another address, another account from the same address: untouched.
    await expect(lockout.begin(EMAIL, from('198.51.100.2'))).resolves.toBeDefined();
    await expect(lockout.begin('eve@example.com', from('203.0.113.7'))).resolves.toBeDefined();
  });

  it('counts an IPv6 host by its /64', async () => {
    const { lockout } = lockoutWith();
    for (let i = 0; i < MAX; i++) {
      await lockout.failed(await lockout.begin(EMAIL, from(`2001:db8:1:2::${i + 1}`)));
    }
    await refusal(lockout.begin(EMAIL, from('2001:db8:1:2:abcd::9')));
    await expect(lockout.begin(EMAIL, from('2001:db8:1:3::1'))).resolves.toBeDefined();
  });

  it('gives a browser with a device cookie for the account its own allowance', async () => {
    const { lockout } = lockoutWith();
    const device = issueDeviceCookie(deviceSecret, EMAIL);
    // Spread over many addresses, guesses lock every client without a device cookie...
    const spread = MAX * UNTRUSTED_CLIENT_FAILURES_FACTOR;
    for (let i = 0; i < spread; i++) {
      await lockout.failed(await lockout.begin(EMAIL, from(`10.0.${i >> 8}.${i & 255}`)));
    }
    await refusal(lockout.begin(EMAIL, from('192.0.2.99')));
    // ...but not the owner's browser, even from an address that is locked itself.
    const attempt = await lockout.begin(EMAIL, from('10.0.0.0', device));
    expect(attempt.deviceId).toBe(device.split('.')[0]);
    expect(attempt.counters).toHaveLength(1);
    // Another account's device cookie is no cookie at all.
    const eves = issueDeviceCookie(deviceSecret, 'eve@example.com');
    await refusal(lockout.begin(EMAIL, from('192.0.2.99', eves)));
  });

  it('locks a device cookie after its own LOGIN_MAX_FAILURES, and only that browser', async () => {
    const { lockout } = lockoutWith();
    const device = issueDeviceCookie(deviceSecret, EMAIL);
    for (let i = 0; i < MAX; i++) {
      await lockout.failed(await lockout.begin(EMAIL, from(`10.0.0.${i}`, device)));
    }
    await refusal(lockout.begin(EMAIL, from('10.0.0.200', device)));
    await expect(lockout.begin(EMAIL, from('10.0.0.200'))).resolves.toBeDefined();
    await expect(
      lockout.begin(EMAIL, from('10.0.0.200', issueDeviceCookie(deviceSecret, EMAIL))),
    ).resolves.toBeDefined();
  });

  it('forgives the client’s own failures on success, with a statement only when there are some', async () => {
    const { lockout, failures } = lockoutWith();
    await lockout.succeeded(await lockout.begin(EMAIL, from('203.0.113.7')));
    expect(failures.deleted).toHaveLength(0);

    await lockout.failed(await lockout.begin(EMAIL, from('203.0.113.7')));
    await lockout.failed(await lockout.begin(EMAIL, from('203.0.113.7')));
    const attempt = await lockout.begin(EMAIL, from('203.0.113.7'));
    await lockout.succeeded(attempt);
    expect(failures.deleted).toEqual([attempt.counters[0].key]);
    // The account-wide count of clients without a device cookie stays.
    expect(failures.rows.get(attempt.counters[1].key.toString('hex'))?.count).toBe(2);
  });

  it('starts counting again once the window has closed', async () => {
    const { lockout, failures } = lockoutWith();
    for (let i = 0; i < MAX; i++) {
      await lockout.failed(await lockout.begin(EMAIL, from('203.0.113.7')));
    }
    failures.now = 60_000;
    const attempt = await lockout.begin(EMAIL, from('203.0.113.7'));
    expect(await lockout.failed(attempt)).toBe(false);
  });
});
