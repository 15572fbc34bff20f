import { connect } from 'node:net';
import request, { Response } from 'supertest';
import { MAX_MEMORY_ENTRIES } from '@session-service/nestjs/internal';
import { registerUser, sleep, TestUser, uniqueEmail } from './factories/users';
import { expectContractError } from './support/expect-error';
import { REDIS_URL, redisPrefix } from './support/redis';
import { TcpProxy } from './support/tcp-proxy';
import { createTestApp, jsonLogs, TestApp } from './support/test-app';
import { queryRows } from './support/test-database';

const DEVICE_COOKIE = '__Host-device';
const WRONG = 'Wrong-password-1';
const NEW_PASSWORD = 'Zebra-Quartz-993';

/** A sign-in from `ip` (the test client on 127.0.0.1 plays the proxy: TRUST_PROXY=1). */
const attempt = (url: string, email: string, password: string, ip = '203.0.113.1', device = '') =>
  request(url)
    .post('/auth/login')
    .set('X-Forwarded-For', ip)
    .set(device ? { Cookie: `${DEVICE_COOKIE}=${device}` } : {})
    .send({ email, password });

/** The device cookie a successful sign-in set, with its attributes. */
function deviceCookieOf(res: Response): { value: string; attributes: string[] } {
  const lines = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
  const line = lines.find((cookie) => cookie.startsWith(`${DEVICE_COOKIE}=`));
  expect(line).toBeDefined();
  const [pair, ...attributes] = line!.split(';').map((part) => part.trim());
  return { value: pair.slice(DEVICE_COOKIE.length + 1), attributes };
}

async function eventTypes(url: string, user: TestUser): Promise<string[]> {
  const events = await request(url)
    .get('/users/me/security-events')
    .set('Authorization', `Bearer ${user.tokens.accessToken}`)
    .expect(200);
  return (events.body as { type: string }[]).map((event) => event.type);
}

const lockedEvents = async (url: string, user: TestUser) =>
  (await eventTypes(url, user)).filter((type) => type === 'login_locked').length;

function expectLocked(res: Response, windowSeconds: number): void {
  expectContractError(res, 429, 'too_many_requests');
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
}

describe('login lockout per account and client', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_WINDOW: '3s', TRUST_PROXY: '1' },
    });
  });
  afterAll(() => t.close());

  it('locks one address out of an account after LOGIN_MAX_FAILURES failures, until the window passes', async () => {
    const user = await registerUser(t.url);
    for (let i = 0; i < 3; i++) {
      expectContractError(await attempt(t.url, user.email, WRONG), 401, 'invalid_credentials');
    }
    // Locked: the right password from that address is refused too, however the email is spelt.
    const locked = await attempt(t.url, user.email, user.password);
    expectLocked(locked, 3);
    expectLocked(await attempt(t.url, user.email.toUpperCase(), user.password), 3);
    // One login_locked event for the lock, however many attempts it refuses.
    expect(await lockedEvents(t.url, user)).toBe(1);

    await sleep(Number(locked.headers['retry-after']) * 1000 + 200);
    await attempt(t.url, user.email, user.password).expect(200);
  });

  it('lets the owner sign in from another address while an attacker hammers the account', async () => {
    const user = await registerUser(t.url);
    const attacker = '203.0.113.7';
    const answers: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await attempt(t.url, user.email, WRONG, attacker);
      answers.push(res.status);
      if (res.status === 429) expectLocked(res, 3);
      // The owner, elsewhere, signs in throughout.
      await attempt(t.url, user.email, user.password, '198.51.100.20').expect(200);
    }
    expect(answers).toEqual([401, 401, 401, 429, 429, 429, 429, 429]);
    expectLocked(await attempt(t.url, user.email, user.password, attacker), 3);
  });

  it('sets a device cookie on sign-in, with which the owner’s browser keeps its own allowance', async () => {
    const user = await registerUser(t.url);
    const shared = '192.0.2.10'; // one address for owner and attacker: a NAT, a café
    const device = deviceCookieOf(await attempt(t.url, user.email, user.password, shared));
    expect(device.attributes).toEqual(
      expect.arrayContaining(['Path=/', 'HttpOnly', 'Secure', 'SameSite=Strict']),
    );
    const maxAge = Number(device.attributes.find((a) => a.startsWith('Max-Age='))!.slice(8));
    expect(maxAge).toBeGreaterThanOrEqual(180 * 86_400);

    for (let i = 0; i < 3; i++) await attempt(t.url, user.email, WRONG, shared).expect(401);
    expectLocked(await attempt(t.url, user.email, user.password, shared), 3);
    // The attacker's own account's device cookie is worth nothing for this one.
    const attacker = await registerUser(t.url);
    const theirs = deviceCookieOf(await attempt(t.url, attacker.email, attacker.password, shared));
    expectLocked(await attempt(t.url, user.email, user.password, shared, theirs.value), 3);
    // The owner's browser signs in, from the same address, and keeps its device id.
    const again = await attempt(t.url, user.email, user.password, shared, device.value).expect(200);
    expect(deviceCookieOf(again).value).toBe(device.value);
  });

  it('answers an unknown email exactly as a known one', async () => {
    const user = await registerUser(t.url);
    const nobody = uniqueEmail('nobody');
    const bodies: Record<string, unknown>[][] = [[], []];
    for (const [i, email] of [user.email, nobody].entries()) {
      for (let n = 0; n < 3; n++) bodies[i].push((await attempt(t.url, email, WRONG)).body);
      const res = await attempt(t.url, email, WRONG);
      expectLocked(res, 3);
      bodies[i].push(res.body);
    }
    expect(bodies[1]).toEqual(bodies[0]);
  });

  it('a successful sign-in clears that client’s failures', async () => {
    const user = await registerUser(t.url);
    for (let round = 0; round < 2; round++) {
      await attempt(t.url, user.email, WRONG, '203.0.113.30').expect(401);
      await attempt(t.url, user.email, WRONG, '203.0.113.30').expect(401);
      await attempt(t.url, user.email, user.password, '203.0.113.30').expect(200);
    }
    expect(await lockedEvents(t.url, user)).toBe(0);
  });

  it('parallel sign-ins with the right password all succeed', async () => {
    const user = await registerUser(t.url);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => attempt(t.url, user.email, user.password)),
    );
    expect(responses.map((res) => res.status)).toEqual(Array(8).fill(200));
  });

  it('a burst of parallel guesses from one address locks it once', async () => {
    const user = await registerUser(t.url);
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => attempt(t.url, user.email, WRONG, '203.0.113.40')),
    );
    // Guesses already being checked when the limit is reached get their answer (a documented
    // overshoot); none of them is a success, and the address is locked after.
    expect(responses.every((res) => [401, 429].includes(res.status))).toBe(true);
    expectLocked(await attempt(t.url, user.email, user.password, '203.0.113.40'), 3);
    await attempt(t.url, user.email, user.password, '203.0.113.41').expect(200);
    expect(await lockedEvents(t.url, user)).toBe(1);
  });

  it('stores keyed hashes only: no email, no address, no unsalted SHA-256', async () => {
    const email = uniqueEmail('hashed');
    await attempt(t.url, email, WRONG, '203.0.113.50').expect(401);
    const rows = await queryRows<{ key: Buffer; hex: string }>(
      t.databaseUrl,
      `SELECT key, encode(key, 'hex') AS hex FROM login_failures
        WHERE key = sha256(convert_to($1, 'UTF8'))
           OR position(convert_to($1, 'UTF8') IN key) > 0
           OR position(convert_to('203.0.113.50', 'UTF8') IN key) > 0`,
      [email],
    );
    expect(rows).toEqual([]);
    const [{ count }] = await queryRows<{ count: number }>(
      t.databaseUrl,
      `SELECT count(*)::int AS count FROM login_failures WHERE octet_length(key) = 32`,
    );
    expect(count).toBeGreaterThan(0);
  });
});

describe('the account-wide lockout of clients without a device cookie', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A window far longer than the thirty failures take, however loaded the machine.
    t = await createTestApp({
      env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_WINDOW: '1m', TRUST_PROXY: '1' },
    });
  });
  afterAll(() => t.close());

  it('locks every client without a device cookie after 10 x LOGIN_MAX_FAILURES spread over addresses, never the owner’s browser', async () => {
    const user = await registerUser(t.url);
    const device = deviceCookieOf(await attempt(t.url, user.email, user.password, '192.0.2.20'));
    // One guess from each of thirty addresses: none of them is locked by its own count.
    for (let i = 0; i < 30; i++) {
      await attempt(t.url, user.email, WRONG, `198.18.0.${i}`).expect(401);
    }
    expectLocked(await attempt(t.url, user.email, user.password, '198.18.1.1'), 60);
    await attempt(t.url, user.email, user.password, '198.18.1.1', device.value).expect(200);
    expect(await lockedEvents(t.url, user)).toBe(1);
  });
});

describe('password change counts toward the lockout', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_WINDOW: '1m', TRUST_PROXY: '1' },
    });
  });
  afterAll(() => t.close());

  const change = (user: TestUser, currentPassword: string, ip: string) =>
    request(t.url)
      .post('/auth/password')
      .set('Authorization', `Bearer ${user.tokens.accessToken}`)
      .set('X-Forwarded-For', ip)
      .send({ currentPassword, newPassword: NEW_PASSWORD });

  it('records every wrong current password, and locks that client out of the account', async () => {
    // Someone holding a stolen access token guesses the password through POST /auth/password.
    const user = await registerUser(t.url);
    const thief = '203.0.113.60';
    for (let i = 0; i < 3; i++) {
      expectContractError(await change(user, WRONG, thief), 403, 'invalid_credentials');
    }
    expectLocked(await change(user, user.password, thief), 60);
    expectLocked(await attempt(t.url, user.email, user.password, thief), 60);
    const types = await eventTypes(t.url, user);
    expect(types.filter((type) => type === 'login_failed')).toHaveLength(3);
    expect(types.filter((type) => type === 'login_locked')).toHaveLength(1);
    // The owner, elsewhere, is not locked out.
    await change(user, user.password, '198.51.100.60').expect(204);
  });

  it('shares the count with sign-ins from the same client', async () => {
    const user = await registerUser(t.url);
    const client = '203.0.113.61';
    await attempt(t.url, user.email, WRONG, client).expect(401);
    await attempt(t.url, user.email, WRONG, client).expect(401);
    await change(user, WRONG, client).expect(403);
    expectLocked(await change(user, user.password, client), 60);
  });
});

/**
 * Sends `count` requests over a few pipelined HTTP/1.1 connections, much faster than one request
 * at a time; resolves with how many answers each status got.
 */
async function flood(
  port: number,
  count: number,
  requestFor: (i: number) => string,
  connections = 8,
): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  const per = Math.ceil(count / connections);
  const one = (first: number, last: number) =>
    new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.setEncoding('latin1');
      let seen = 0;
      let tail = '';
      socket.on('data', (chunk: string) => {
        const text = tail + chunk;
        let end = 0;
        for (const match of text.matchAll(/HTTP\/1\.1 (\d{3}) /g)) {
          statuses[Number(match[1])] = (statuses[Number(match[1])] ?? 0) + 1;
          seen += 1;
          end = match.index + match[0].length;
        }
        // A status line may straddle two chunks: keep the end of this one, never a counted match.
        tail = text.slice(Math.max(end, text.length - 16));
        if (seen === last - first) socket.end(resolve);
      });
      socket.on('error', reject);
      socket.on('close', () => (seen === last - first ? resolve() : reject(new Error('closed'))));
      let next = first;
      const write = () => {
        while (next < last) {
          const batch: string[] = [];
          for (const end = Math.min(last, next + 200); next < end; next++) {
            batch.push(requestFor(next));
          }
          if (!socket.write(batch.join(''))) return void socket.once('drain', write);
        }
      };
      socket.once('connect', write);
    });
  await Promise.all(
    Array.from({ length: connections }, (_, c) => one(c * per, Math.min(count, (c + 1) * per))),
  );
  return statuses;
}

describe('lockout counters against a flood of other keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_WINDOW: '10m', TRUST_PROXY: '1' },
    });
  });
  afterAll(() => t.close());

  it('keeps an account locked after more requests from new addresses than the memory store holds', async () => {
    const user = await registerUser(t.url);
    const attacker = '203.0.113.70';
    for (let i = 0; i < 3; i++) await attempt(t.url, user.email, WRONG, attacker).expect(401);
    expectLocked(await attempt(t.url, user.email, user.password, attacker), 600);

    // Each request comes from a new address: a new rate-limit bucket in the in-memory store,
    // counted before anything else is checked (no token: 401).
    const statuses = await flood(
      t.port,
      MAX_MEMORY_ENTRIES + 1_000,
      (i) =>
        'POST /auth/password HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `X-Forwarded-For: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\r\n` +
        'Content-Length: 0\r\n\r\n',
    );
    expect(statuses).toEqual({ 401: MAX_MEMORY_ENTRIES + 1_000 });

    expectLocked(await attempt(t.url, user.email, user.password, attacker), 600);
    await attempt(t.url, user.email, WRONG, '198.51.100.70').expect(401);
  }, 300_000);
});

describe('login lockout across instances, with Redis and without it', () => {
  let proxy: TcpProxy;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    proxy = await TcpProxy.forUrl(REDIS_URL);
    const env = {
      LOGIN_MAX_FAILURES: '3',
      LOGIN_LOCK_WINDOW: '1m',
      REDIS_URL: proxy.rewrite(REDIS_URL),
      REDIS_KEY_PREFIX: redisPrefix(),
    };
    a = await createTestApp({ env });
    b = await createTestApp({ env, databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await proxy?.close();
  });

  it('adds up failures on either instance exactly, even while Redis is unreachable', async () => {
    const user = await registerUser(a.url);
    await attempt(a.url, user.email, WRONG).expect(401);
    await proxy.cut();
    // The rate limits fall back to counting in each process, and say so...
    await attempt(b.url, user.email, WRONG).expect(401);
    await attempt(a.url, user.email, WRONG).expect(401);
    for (const app of [a, b]) {
      expect(jsonLogs(app).some((line) => String(line.msg).startsWith('Redis unreachable'))).toBe(
        true,
      );
    }
    // ...while the lockout, in PostgreSQL, counted three failures across the two.
    expectLocked(await attempt(b.url, user.email, user.password), 60);
    expectLocked(await attempt(a.url, user.email, user.password), 60);
    expect(await lockedEvents(a.url, user)).toBe(1);
    await proxy.restore();
  });
});
