import request, { Response } from 'supertest';
import { decodeJwt, refresh, registerUser, sleep, uniqueEmail } from './factories/users';
import { expectContractError } from './support/expect-error';
import { REDIS_URL, redisPrefix } from './support/redis';
import { TcpProxy } from './support/tcp-proxy';
import { createTestApp, jsonLogs, TestApp } from './support/test-app';

const wrongLogin = (url: string, headers: Record<string, string> = {}) =>
  request(url)
    .post('/auth/login')
    .set(headers)
    .send({ email: uniqueEmail('nobody'), password: 'Wrong-password-1' });

function expectLimited(res: Response, windowSeconds: number): void {
  expectContractError(res, 429, 'too_many_requests');
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
}

const statuses = (responses: Response[]) => responses.map((res) => res.status);

describe('AUTH_RATE_LIMIT, counted in memory', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT: '3/1m' } });
  });
  afterAll(() => t.close());

  it('answers the 4th login from one address 429 with Retry-After; X-Forwarded-For is ignored', async () => {
    for (let i = 0; i < 3; i++) {
      await wrongLogin(t.url, { 'X-Forwarded-For': `203.0.113.${i}` }).expect(401);
    }
    expectLimited(await wrongLogin(t.url, { 'X-Forwarded-For': '198.51.100.7' }), 60);
  });

  it('counts each route apart, and leaves other routes alone', async () => {
    // Login is spent (above); register still has its own 3.
    const users = [];
    for (let i = 0; i < 3; i++) users.push(await registerUser(t.url));
    expectLimited(
      await request(t.url)
        .post('/auth/register')
        .send({ email: uniqueEmail(), password: 'Zebra-Quartz-991' }),
      60,
    );
    const bearer = `Bearer ${users[0].tokens.accessToken}`;
    const others = await Promise.all([
      ...Array.from({ length: 10 }, () =>
        request(t.url).get('/auth/me').set('Authorization', bearer),
      ),
      ...Array.from({ length: 10 }, () =>
        request(t.url).get('/sessions').set('Authorization', bearer),
      ),
      ...Array.from({ length: 10 }, () => request(t.url).get('/health')),
    ]);
    expect(statuses(others)).toEqual(Array(30).fill(200));
  });

  it('counts POST /auth/password before authentication: no token needed to be limited', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await request(t.url)
        .post('/auth/password')
        .send({ currentPassword: 'whatever-1', newPassword: 'Zebra-Quartz-992' });
      expectContractError(res, 401, 'access_token_missing');
    }
    expectLimited(await request(t.url).post('/auth/password').send({}), 60);
  });
});

describe('AUTH_RATE_LIMIT behind a proxy (TRUST_PROXY)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT: '2/1m', TRUST_PROXY: '1' } });
  });
  afterAll(() => t.close());

  it('counts per X-Forwarded-For client address', async () => {
    const from = (ip: string) => wrongLogin(t.url, { 'X-Forwarded-For': ip });
    expect(statuses([await from('203.0.113.1'), await from('203.0.113.1')])).toEqual([401, 401]);
    expectLimited(await from('203.0.113.1'), 60);
    await from('203.0.113.2').expect(401);
    // IPv6 clients are counted by /64: one host cannot escape by rotating its own addresses.
    await from('2001:db8:1:2::1').expect(401);
    await from('2001:db8:1:2::ffff').expect(401);
    expectLimited(await from('2001:db8:1:2:abcd::9'), 60);
  });
});

describe('AUTH_RATE_LIMIT on refresh: each token counted once', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT: '3/1m', REFRESH_REUSE_GRACE: '10s' } });
  });
  afterAll(() => t.close());

  it('never answers 429 to parallel refreshes or replays inside the grace window', async () => {
    const { tokens } = await registerUser(t.url);
    const first = await refresh(t.url, tokens.refreshToken).expect(200); // counts 1
    const t1 = first.body.refreshToken as string;

    // Twenty at once with one token: counted once (2), one successor.
    const burst = await Promise.all(Array.from({ length: 20 }, () => refresh(t.url, t1)));
    expect(statuses(burst)).toEqual(Array(20).fill(200));
    const successors = new Set(burst.map((res) => decodeJwt(res.body.refreshToken).payload.jti));
    expect(successors.size).toBe(1);
    const t2 = burst[0].body.refreshToken as string;

    const third = await refresh(t.url, t2).expect(200); // counts 3: the limit
    expectLimited(await refresh(t.url, 'not-a-token'), 60); // a 4th distinct request

    // The limit is spent, yet replays of the token just let through (the live token's
    // predecessor) still pass, and get the same successor.
    const replays = await Promise.all(Array.from({ length: 20 }, () => refresh(t.url, t2)));
    expect(statuses(replays)).toEqual(Array(20).fill(200));
    expect(new Set(replays.map((res) => res.body.refreshToken))).toEqual(
      new Set([third.body.refreshToken]),
    );

    // A new token is a new request: it counts, and is refused.
    expectLimited(await refresh(t.url, third.body.refreshToken as string), 60);
  });

  it('counts a revoked session’s refresh token on every request', async () => {
    const app = await createTestApp({ env: { AUTH_RATE_LIMIT: '3/1m' } });
    try {
      const { tokens } = await registerUser(app.url);
      await request(app.url)
        .post('/auth/logout')
        .send({ refreshToken: tokens.refreshToken })
        .expect(204);
      const answers: Response[] = [];
      for (let i = 0; i < 5; i++) answers.push(await refresh(app.url, tokens.refreshToken));
      for (const res of answers.slice(0, 3)) expectContractError(res, 401, 'session_revoked');
      for (const res of answers.slice(3)) expectLimited(res, 60);
    } finally {
      await app.close();
    }
  });

  it('counts a used token presented after the grace window on every request', async () => {
    const app = await createTestApp({
      env: { AUTH_RATE_LIMIT: '3/1m', REFRESH_REUSE_GRACE: '0s' },
    });
    try {
      const { tokens } = await registerUser(app.url);
      await refresh(app.url, tokens.refreshToken).expect(200); // counts 1
      expectContractError(await refresh(app.url, tokens.refreshToken), 401, 'refresh_token_reused');
      // Counted from here on: 2, 3, then over the limit.
      for (let i = 0; i < 2; i++) {
        expectContractError(await refresh(app.url, tokens.refreshToken), 401, 'session_revoked');
      }
      expectLimited(await refresh(app.url, tokens.refreshToken), 60);
    } finally {
      await app.close();
    }
  });

  it('counts requests without a valid refresh token like any other', async () => {
    const app = await createTestApp({ env: { AUTH_RATE_LIMIT: '2/1m' } });
    try {
      const { tokens } = await registerUser(app.url);
      const forged = tokens.refreshToken.slice(0, -4) + 'AAAA';
      await refresh(app.url, forged).expect(401);
      await request(app.url).post('/auth/refresh').send({}).expect(401);
      expectLimited(await refresh(app.url, forged), 60);
      expectLimited(await refresh(app.url, tokens.refreshToken), 60);
    } finally {
      await app.close();
    }
  });
});

describe('AUTH_RATE_LIMIT shared through Redis by two instances', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { AUTH_RATE_LIMIT: '4/1m', REDIS_URL, REDIS_KEY_PREFIX: redisPrefix() };
    a = await createTestApp({ env });
    b = await createTestApp({ env, databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('adds up the requests that reach either instance', async () => {
    for (const url of [a.url, b.url, a.url, b.url]) await wrongLogin(url).expect(401);
    expectLimited(await wrongLogin(a.url), 60);
    expectLimited(await wrongLogin(b.url), 60);
  });

  it('lets a burst of one refresh token through both instances, counted once', async () => {
    const { tokens } = await registerUser(a.url);
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => refresh(i % 2 ? a.url : b.url, tokens.refreshToken)),
    );
    expect(statuses(burst)).toEqual(Array(20).fill(200));
    expect(new Set(burst.map((res) => res.body.refreshToken)).size).toBe(1);
  });
});

describe('AUTH_RATE_LIMIT on refresh through Redis', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { AUTH_RATE_LIMIT: '3/1m', REDIS_URL, REDIS_KEY_PREFIX: redisPrefix() },
    });
  });
  afterAll(() => t.close());

  it('counts a revoked session’s refresh token on every request', async () => {
    const { tokens } = await registerUser(t.url);
    await request(t.url)
      .post('/auth/logout')
      .send({ refreshToken: tokens.refreshToken })
      .expect(204);
    const answers: number[] = [];
    for (let i = 0; i < 5; i++) answers.push((await refresh(t.url, tokens.refreshToken)).status);
    expect(answers).toEqual([401, 401, 401, 429, 429]);
  });
});

describe('AUTH_RATE_LIMIT while Redis is unreachable', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  beforeAll(async () => {
    proxy = await TcpProxy.forUrl(REDIS_URL);
    t = await createTestApp({
      env: {
        AUTH_RATE_LIMIT: '3/1m',
        REDIS_URL: proxy.rewrite(REDIS_URL),
        REDIS_KEY_PREFIX: redisPrefix(),
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  it('fails open to counters in the process, says so, and shares them again once Redis is back', async () => {
    await wrongLogin(t.url).expect(401);
    await proxy.cut();
    const started = Date.now();
    // Counted here alone now, but still counted: never a 500.
    for (let i = 0; i < 3; i++) await wrongLogin(t.url).expect(401);
    expectLimited(await wrongLogin(t.url), 60);
    expect(Date.now() - started).toBeLessThan(5_000);
    const warned = () =>
      jsonLogs(t).some((line) => String(line.msg).startsWith('Redis unreachable'));
    expect(warned()).toBe(true);

    await proxy.restore();
    // The next operation that reaches Redis again logs it.
    const deadline = Date.now() + 10_000;
    while (!jsonLogs(t).some((line) => String(line.msg).startsWith('Redis is back'))) {
      expect(Date.now()).toBeLessThan(deadline);
      await wrongLogin(t.url);
      await sleep(250);
    }
  });
});
