import request, { Response } from 'supertest';
import { registerUser, sleep, TestUser, uniqueEmail } from './factories/users';
import { expectContractError } from './support/expect-error';
import { REDIS_URL, redisPrefix } from './support/redis';
import { createTestApp, TestApp } from './support/test-app';

const attempt = (url: string, email: string, password: string, ip = '203.0.113.1') =>
  request(url).post('/auth/login').set('X-Forwarded-For', ip).send({ email, password });

const WRONG = 'Wrong-password-1';

async function lockedEvents(url: string, user: TestUser): Promise<number> {
  const events = await request(url)
    .get('/users/me/security-events')
    .set('Authorization', `Bearer ${user.tokens.accessToken}`)
    .expect(200);
  return (events.body as { type: string }[]).filter((event) => event.type === 'login_locked')
    .length;
}

function expectLocked(res: Response, windowSeconds: number): void {
  expectContractError(res, 429, 'too_many_requests');
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
}

describe('login lockout per account', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_WINDOW: '3s', TRUST_PROXY: '1' },
    });
  });
  afterAll(() => t.close());

  it('locks an email after LOGIN_MAX_FAILURES failures, from any address, until the window passes', async () => {
    const user = await registerUser(t.url);
    for (const ip of ['203.0.113.1', '198.51.100.2', '192.0.2.3']) {
      expectContractError(await attempt(t.url, user.email, WRONG, ip), 401, 'invalid_credentials');
    }
    // Locked: the right password, from a new address, is refused too.
    const locked = await attempt(t.url, user.email, user.password, '192.0.2.200');
    expectLocked(locked, 3);
    expectLocked(await attempt(t.url, user.email.toUpperCase(), user.password, '10.9.8.7'), 3);
    // One login_locked event for the lock, however many attempts it refuses.
    expect(await lockedEvents(t.url, user)).toBe(1);

    await sleep(Number(locked.headers['retry-after']) * 1000 + 200);
    await attempt(t.url, user.email, user.password).expect(200);
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

  it('a successful sign-in clears the failures', async () => {
    const user = await registerUser(t.url);
    for (let round = 0; round < 2; round++) {
      await attempt(t.url, user.email, WRONG).expect(401);
      await attempt(t.url, user.email, WRONG).expect(401);
      await attempt(t.url, user.email, user.password).expect(200);
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

  it('a burst of parallel guesses locks the account once', async () => {
    const user = await registerUser(t.url);
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => attempt(t.url, user.email, WRONG, `192.0.2.${i}`)),
    );
    // Guesses already being checked when the limit is reached get their answer (a documented
    // overshoot); none of them is a success, and the account is locked after.
    expect(responses.every((res) => [401, 429].includes(res.status))).toBe(true);
    expectLocked(await attempt(t.url, user.email, user.password), 3);
    expect(await lockedEvents(t.url, user)).toBe(1);
  });
});

describe('login lockout shared through Redis by two instances', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = {
      LOGIN_MAX_FAILURES: '3',
      LOGIN_LOCK_WINDOW: '1m',
      REDIS_URL,
      REDIS_KEY_PREFIX: redisPrefix(),
    };
    a = await createTestApp({ env });
    b = await createTestApp({ env, databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('adds up failures on either instance, and locks on both', async () => {
    const user = await registerUser(a.url);
    await attempt(a.url, user.email, WRONG).expect(401);
    await attempt(b.url, user.email, WRONG).expect(401);
    await attempt(a.url, user.email, WRONG).expect(401);
    expectLocked(await attempt(b.url, user.email, user.password), 60);
    expectLocked(await attempt(a.url, user.email, user.password), 60);
    expect(await lockedEvents(a.url, user)).toBe(1);
  });
});
