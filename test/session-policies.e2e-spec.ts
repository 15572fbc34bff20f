import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import request, { Response } from 'supertest';
import {
  login,
  me,
  meUntilRefused,
  PASSWORD,
  refresh,
  registerUser,
  sleep,
  TokenResponse,
  uniqueEmail,
} from './factories/users';
import { createTwoInstances, TwoInstances } from './support/app-behind-proxy';
import { ACCESS_COOKIE, cookiesOf, CSRF_COOKIE, Jar, REFRESH_COOKIE } from './support/cookie-jar';
import { queryRows } from './support/test-database';
import { createTestApp, TEST_DATA_DIR, TestApp } from './support/test-app';

const run = promisify(execFile);
/** A feed token, at least 32 characters. */
const FEED_TOKEN = 'policies-feed-token-0123456789abcdefghij';
const REVOKE_ALL_CLI = resolve(process.cwd(), 'dist/sessions/revoke-all.cli.js');
const CHROME_ON_MACOS =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const SESSION_COOKIES = [ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE];

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

interface SessionBody {
  id: string;
  absoluteExpiresAt: string;
  device: string | null;
  persistent: boolean;
}

function listSessions(url: string, accessToken: string) {
  return request(url).get('/sessions').set(bearer(accessToken)).expect(200);
}

function signIn(url: string, email: string, fields: Record<string, unknown> = {}) {
  return request(url)
    .post('/auth/login')
    .send({ email, password: PASSWORD, ...fields });
}

/** Whether any Set-Cookie of these three cookies carries a lifetime. */
function lifetimes(response: Response): string[] {
  const cookies = cookiesOf(response);
  return SESSION_COOKIES.flatMap((name) => {
    expect(cookies[name]).toBeDefined();
    return cookies[name].attributes.filter((attribute) => /^(max-age|expires)=/i.test(attribute));
  });
}

describe('session policies', () => {
  describe('remember me, persistent, device', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ env: { SHORT_SESSION_MAX_AGE: '2h' } });
    });
    afterAll(() => t.close());

    it('rememberMe: false gives browser-session cookies, a short absolute end, persistent: false', async () => {
      const { email } = await registerUser(t.url);
      const signedIn = await signIn(t.url, email, { rememberMe: false })
        .set('X-Auth-Transport', 'cookie')
        .expect(200);
      const startedAt = Date.now();
      expect(lifetimes(signedIn)).toEqual([]);
      const jar = new Jar();
      jar.take(signedIn);

      // A refresh of that session keeps its cookies ending with the browser.
      const refreshed = await request(t.url)
        .post('/auth/refresh')
        .set('Cookie', jar.header('/auth/refresh'))
        .set('X-CSRF-Token', jar.csrf)
        .expect(200);
      expect(lifetimes(refreshed)).toEqual([]);
      jar.take(refreshed);

      const sessions = await request(t.url)
        .get('/sessions')
        .set('Cookie', jar.header())
        .expect(200);
      const current = (sessions.body as (SessionBody & { current: boolean })[]).find(
        (session) => session.current,
      )!;
      expect(current.id).toBe(signedIn.body.sessionId);
      expect(current.persistent).toBe(false);
      const end = new Date(current.absoluteExpiresAt).getTime();
      expect(end).toBeLessThanOrEqual(startedAt + 2 * 3_600_000);
      expect(end).toBeGreaterThan(startedAt + 2 * 3_600_000 - 60_000);
      // No token of the session outlives that end either.
      expect(new Date(refreshed.body.refreshTokenExpiresAt).getTime()).toBeLessThanOrEqual(end);
    });

    it('by default sessions are persistent, with cookie lifetimes and the long absolute end', async () => {
      const { email } = await registerUser(t.url);
      const signedIn = await signIn(t.url, email).set('X-Auth-Transport', 'cookie').expect(200);
      expect(lifetimes(signedIn)).toHaveLength(3);
      const jar = new Jar();
      jar.take(signedIn);
      const sessions = await request(t.url)
        .get('/sessions')
        .set('Cookie', jar.header())
        .expect(200);
      const current = (sessions.body as (SessionBody & { current: boolean })[]).find(
        (session) => session.current,
      )!;
      expect(current.persistent).toBe(true);
      expect(new Date(current.absoluteExpiresAt).getTime()).toBeGreaterThan(
        Date.now() + 29 * 86_400_000,
      );
    });

    it('refuses a rememberMe that is not a boolean', async () => {
      const response = await signIn(t.url, uniqueEmail(), { rememberMe: 'no' }).expect(400);
      expect(response.body.code).toBe('validation_failed');
    });

    it('shows a Chrome-on-macOS user agent as such, and null for none', async () => {
      const { email, tokens } = await registerUser(t.url);
      const mac = await signIn(t.url, email).set('User-Agent', CHROME_ON_MACOS).expect(200);
      const sessions = (await listSessions(t.url, tokens.accessToken)).body as SessionBody[];
      expect(sessions.find((session) => session.id === mac.body.sessionId)?.device).toBe(
        'Chrome on macOS',
      );
      expect(sessions.find((session) => session.id === tokens.sessionId)?.device).toBeNull();
    });
  });

  describe('MAX_SESSIONS_PER_USER=3, evict-oldest', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ env: { MAX_SESSIONS_PER_USER: '3' } });
    });
    afterAll(() => t.close());

    it('twenty parallel sign-ins leave exactly three live sessions; the evicted ones are refused, one event each', async () => {
      const user = await registerUser(t.url);
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => signIn(t.url, user.email)),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
      const all = [user.tokens, ...responses.map((response) => response.body as TokenResponse)];

      const live = await queryRows<{ id: string }>(
        t.databaseUrl,
        `SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`,
        [user.tokens.user.id],
      );
      expect(live).toHaveLength(3);
      const liveIds = new Set(live.map((row) => row.id));
      const evicted = all.filter((tokens) => !liveIds.has(tokens.sessionId));
      expect(evicted).toHaveLength(18);

      for (const tokens of evicted) {
        expect((await refresh(t.url, tokens.refreshToken).expect(401)).body.code).toBe(
          'session_revoked',
        );
        expect((await me(t.url, tokens.accessToken).expect(401)).body.code).toBe('session_revoked');
      }
      for (const tokens of all.filter((tokens) => liveIds.has(tokens.sessionId))) {
        await refresh(t.url, tokens.refreshToken).expect(200);
      }

      const events = await queryRows<{ session_id: string }>(
        t.databaseUrl,
        `SELECT session_id FROM security_events WHERE user_id = $1 AND type = 'session_evicted'`,
        [user.tokens.user.id],
      );
      expect(events.map((event) => event.session_id).sort()).toEqual(
        evicted.map((tokens) => tokens.sessionId).sort(),
      );
      const reasons = await queryRows<{ revoked_reason: string }>(
        t.databaseUrl,
        `SELECT DISTINCT revoked_reason FROM sessions WHERE user_id = $1 AND revoked_at IS NOT NULL`,
        [user.tokens.user.id],
      );
      expect(reasons).toEqual([{ revoked_reason: 'session_limit' }]);
    });

    it('evicts the least recently used session, not the oldest one', async () => {
      const user = await registerUser(t.url);
      const second = await login(t.url, user);
      const third = await login(t.url, user);
      // The first session is the oldest, but now the most recently used.
      await refresh(t.url, user.tokens.refreshToken).expect(200);
      const fourth = await login(t.url, user);
      const ids = ((await listSessions(t.url, fourth.accessToken)).body as SessionBody[]).map(
        (session) => session.id,
      );
      expect(ids.sort()).toEqual([user.tokens.sessionId, third.sessionId, fourth.sessionId].sort());
      expect((await me(t.url, second.accessToken).expect(401)).body.code).toBe('session_revoked');
      const events = await request(t.url)
        .get('/users/me/security-events')
        .set(bearer(fourth.accessToken))
        .expect(200);
      expect(events.body[0]).toMatchObject({ type: 'login', sessionId: fourth.sessionId });
      expect(events.body[1]).toMatchObject({
        type: 'session_evicted',
        sessionId: second.sessionId,
      });
    });
  });

  describe('MAX_SESSIONS_PER_USER=3, deny', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        env: { MAX_SESSIONS_PER_USER: '3', SESSION_LIMIT_POLICY: 'deny' },
      });
    });
    afterAll(() => t.close());

    it('a sign-in over the limit gets 403 session_limit_reached and changes nothing', async () => {
      const user = await registerUser(t.url);
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => signIn(t.url, user.email)),
      );
      const ok = responses.filter((response) => response.status === 200);
      const refused = responses.filter((response) => response.status !== 200);
      expect(ok).toHaveLength(2);
      expect(refused).toHaveLength(18);
      for (const response of refused) {
        expect(response.status).toBe(403);
        expect(response.body.code).toBe('session_limit_reached');
      }

      const rows = await queryRows<{ count: number }>(
        t.databaseUrl,
        `SELECT count(*)::int AS count FROM sessions WHERE user_id = $1`,
        [user.tokens.user.id],
      );
      expect(rows[0].count).toBe(3);
      // The three go on.
      for (const tokens of [user.tokens, ...ok.map((response) => response.body as TokenResponse)]) {
        await me(t.url, tokens.accessToken).expect(200);
        await refresh(t.url, tokens.refreshToken).expect(200);
      }
      // Room made by signing out lets the next sign-in in.
      await request(t.url).post('/auth/logout').set(bearer(user.tokens.accessToken)).expect(204);
      await signIn(t.url, user.email).expect(200);
    });
  });

  describe('sessions:revoke-all', () => {
    let instances: TwoInstances;
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      instances = await createTwoInstances({
        REVOCATION_PROPAGATION: '1s',
        REVOCATION_FEED_TOKENS: FEED_TOKEN,
      });
      ({ a, b } = instances);
    });
    afterAll(() => instances?.close());

    /** The moment the command printed. */
    async function revokeAll(): Promise<Date> {
      const { stdout } = await run(process.execPath, [REVOKE_ALL_CLI], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_ENV: 'test',
          DATA_DIR: TEST_DATA_DIR,
          DATABASE_URL: a.databaseUrl,
          LOG_LEVEL: 'warn',
        },
      });
      const printed = /^Every session begun before (\S+Z) is revoked\.$/m.exec(stdout);
      expect(printed).not.toBeNull();
      return new Date(printed![1]);
    }

    /** Resident memory of an instance's process, in bytes. */
    function rss(app: TestApp): number {
      const status = readFileSync(`/proc/${app.process.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
    }

    /** A few real sessions on both instances, each with its tokens. */
    async function signInEverywhere(): Promise<TokenResponse[]> {
      const sessions: TokenResponse[] = [];
      for (const url of [a.url, b.url]) {
        for (let i = 0; i < 3; i++) {
          const user = await registerUser(url);
          sessions.push(user.tokens, await login(url, user));
        }
      }
      return sessions;
    }

    /** Revokes everything and proves it; the RSS growth of each instance across it. */
    async function revokeAllAndCheck(): Promise<number[]> {
      const sessions = await signInEverywhere();
      for (const tokens of sessions) {
        await me(a.url, tokens.accessToken).expect(200);
        await me(b.url, tokens.accessToken).expect(200);
      }
      const before = [rss(a), rss(b)];

      await revokeAll();
      const answeredAt = Date.now();

      // Earlier access tokens: refused on both instances within REVOCATION_PROPAGATION.
      for (const url of [a.url, b.url]) {
        for (const tokens of sessions) {
          const response = await meUntilRefused(url, tokens.accessToken, 1_000, answeredAt);
          expect(response.status).toBe(401);
          expect(response.body.code).toBe('session_revoked');
        }
      }
      // Every refresh token of a session begun before.
      for (const [index, tokens] of sessions.entries()) {
        const response = await refresh(index % 2 ? a.url : b.url, tokens.refreshToken).expect(401);
        expect(response.body.code).toBe('session_revoked');
      }
      // New sign-ins work at once, on both instances, and their tokens too.
      const fresh = await registerUser(a.url);
      await me(a.url, fresh.tokens.accessToken).expect(200);
      await me(b.url, fresh.tokens.accessToken).expect(200);
      const again = await login(b.url, fresh);
      const rotated = await refresh(a.url, again.refreshToken).expect(200);
      await me(b.url, rotated.body.accessToken).expect(200);
      const listed = (await listSessions(b.url, fresh.tokens.accessToken)).body as SessionBody[];
      expect(listed.map((session) => session.id).sort()).toEqual(
        [fresh.tokens.sessionId, again.sessionId].sort(),
      );

      // Let both instances run their catch-up reads a few times before measuring.
      await sleep(2_000);
      return [rss(a) - before[0], rss(b) - before[1]];
    }

    it('revokes every session, refuses earlier access tokens on two instances, lets new sign-ins in, and keeps memory flat', async () => {
      const growthWithout = await revokeAllAndCheck();

      // 100,000 live sessions more, seeded in SQL, then a second revoke-all.
      await queryRows(
        a.databaseUrl,
        `WITH seeded AS (
           INSERT INTO users (email, password_hash)
           SELECT 'seed-' || g || '@example.com', 'not-a-hash' FROM generate_series(1, 1000) g
           RETURNING id
         )
         INSERT INTO sessions (id, user_id, created_at, last_used_at, auth_time, expires_at,
                               absolute_expires_at, current_token_id, current_issued_at)
         SELECT gen_random_uuid(), seeded.id, now() - interval '1 minute', now(),
                now() - interval '1 minute', now() + interval '7 days', now() + interval '30 days',
                gen_random_uuid(), now()
           FROM seeded, generate_series(1, 100)`,
      );
      const live = await queryRows<{ count: number }>(
        a.databaseUrl,
        `SELECT count(*)::int AS count FROM sessions
          WHERE revoked_at IS NULL AND created_at >= now() - interval '2 minutes'`,
      );
      expect(live[0].count).toBeGreaterThanOrEqual(100_000);
      const growthWith = await revokeAllAndCheck();

      // Nothing is written per session either: the seeded rows are as they were.
      const untouched = await queryRows<{ count: number }>(
        a.databaseUrl,
        `SELECT count(*)::int AS count FROM sessions WHERE revoked_at IS NULL`,
      );
      expect(untouched[0].count).toBeGreaterThanOrEqual(100_000);
      // Loosely: an id kept per revoked session would cost over ten megabytes here; the margin
      // is for the collector.
      for (const [index, growth] of growthWith.entries()) {
        expect(growth - growthWithout[index]).toBeLessThan(8 * 1024 * 1024);
      }
    });

    it('puts a revoked-all event in the revocation feed of every instance', async () => {
      const before = await revokeAll();
      for (const app of [a, b]) {
        const deadline = Date.now() + 1_000;
        let event: Record<string, string> | undefined;
        while (!event && Date.now() < deadline) {
          const response = await request(app.url)
            .get('/auth/revocations')
            .set('Authorization', `Bearer ${FEED_TOKEN}`)
            .expect(200);
          event = (response.body.events as Record<string, string>[]).find(
            (candidate) =>
              candidate.type === 'revoked-all' && candidate.before === before.toISOString(),
          );
          if (!event) await sleep(50);
        }
        expect(event).toBeDefined();
        // Forgotten once the last access token issued before it has expired (ACCESS_TOKEN_TTL).
        expect(new Date(event!.until).getTime() - before.getTime()).toBe(15 * 60 * 1000);
      }
    });
  });
});
