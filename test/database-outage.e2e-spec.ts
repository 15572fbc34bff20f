import request from 'supertest';
import { me, refresh, registerUser, sleep, TestUser } from './factories/users';
import { expectContractError } from './support/expect-error';
import type { OutageMode } from './support/tcp-proxy';
import {
  createAppBehindProxy,
  AppBehindProxy,
  type DatabaseProxy,
} from './support/app-behind-proxy';
import { TestApp } from './support/test-app';

/**
 * PostgreSQL taken away from a running service through a TCP proxy: refused (the server is down)
 * or blackholed (a partition: connections hang). A client must never be told its good session is
 * bad because the database is away: 503, never 401. Routes that need no row keep working, and the
 * service heals on its own once the database is back.
 */
describe('database outage', () => {
  let behind: AppBehindProxy;
  let proxy: DatabaseProxy;
  let t: TestApp;

  beforeAll(async () => {
    behind = await createAppBehindProxy();
    ({ proxy, app: t } = behind);
  });
  afterAll(() => behind?.close());
  afterEach(() => proxy.restore());

  const login = (user: TestUser) =>
    request(t.url).post('/auth/login').send({ email: user.email, password: user.password });

  async function waitUntilReady(): Promise<number> {
    const started = Date.now();
    while ((await request(t.url).get('/health/ready')).status !== 200) {
      expect(Date.now() - started).toBeLessThan(15_000);
      await sleep(200);
    }
    return Date.now() - started;
  }

  it.each<OutageMode>(['refuse', 'blackhole'])(
    '%s: 503 for login, refresh and rows, while /auth/me goes on; heals without a restart',
    async (mode) => {
      const user = await registerUser(t.url);
      // Open several pooled connections first: a partition must not strand queries on them.
      const warm = await Promise.all(
        Array.from({ length: 8 }, () =>
          request(t.url).get('/users/me').set('Authorization', `Bearer ${user.tokens.accessToken}`),
        ),
      );
      expect(warm.map((res) => res.status)).toEqual(Array(8).fill(200));
      await proxy.cut(mode);

      const started = Date.now();
      const [ready, loggedIn, refreshed, profile, registered, whoami] = await Promise.all([
        request(t.url).get('/health/ready'),
        login(user),
        refresh(t.url, user.tokens.refreshToken),
        request(t.url).get('/users/me').set('Authorization', `Bearer ${user.tokens.accessToken}`),
        request(t.url)
          .post('/auth/register')
          .send({ email: `x-${user.email}`, password: 'Zebra-Quartz-991' }),
        me(t.url, user.tokens.accessToken),
      ]);
      // Answered even when connections hang: a connection is given up after 3 s, a query after
      // 5 s, so a transaction takes two timeouts at most (its statement, then its rollback).
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(ready.status).toBe(503);
      for (const res of [loggedIn, refreshed, profile, registered]) {
        expectContractError(res, 503, 'service_unavailable');
      }
      expect(whoami.status).toBe(200);
      expect(whoami.body.sessionId).toBe(user.tokens.sessionId);

      await proxy.restore();
      await waitUntilReady();
      // The refresh token that got 503 was never spent: it still rotates.
      await refresh(t.url, user.tokens.refreshToken).expect(200);
      await login(user).expect(200);
      // And the failed login during the outage did not count towards a lockout.
      expect(t.process.exitCode).toBeNull();
    },
  );
});
