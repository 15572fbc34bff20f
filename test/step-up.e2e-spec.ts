import request, { Response } from 'supertest';
import {
  decodeJwt,
  login,
  me,
  PASSWORD,
  refresh,
  registerUser,
  sleep,
  TestUser,
} from './factories/users';
import {
  ACCESS_COOKIE,
  cookiesOf,
  CSRF_COOKIE,
  REFRESH_COOKIE,
  signInWithCookies,
} from './support/cookie-jar';
import { expectContractError } from './support/expect-error';
import { createTestApp, TestApp } from './support/test-app';
import { queryRows } from './support/test-database';

const WRONG = 'Wrong-password-1';

/** The `auth_time` claim of an access token (decoded only). */
const authTimeOf = (token: string) => decodeJwt(token).payload.auth_time as number;

const reauthenticate = (url: string, accessToken: string, password: string) =>
  request(url)
    .post('/auth/reauthenticate')
    .set('Authorization', `Bearer ${accessToken}`)
    .send({ password });

const deleteAccount = (url: string, accessToken: string) =>
  request(url).delete('/users/me').set('Authorization', `Bearer ${accessToken}`);

async function eventsOf(url: string, accessToken: string) {
  const res = await request(url)
    .get('/users/me/security-events')
    .set('Authorization', `Bearer ${accessToken}`)
    .expect(200);
  return res.body as { type: string; sessionId: string | null }[];
}

/**
 * A WWW-Authenticate challenge read as RFC 9110 §11.6.1 and RFC 9470 §3 describe it: the scheme,
 * then comma-separated auth-params, each a token or a quoted string.
 */
function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const match = /^(\S+)\s+(.*)$/.exec(header.trim());
  if (!match) throw new Error(`not a challenge: ${header}`);
  const params: Record<string, string> = {};
  const param =
    /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*(?:,|$)/y;
  let rest: RegExpExecArray | null;
  while (param.lastIndex < match[2].length && (rest = param.exec(match[2]))) {
    params[rest[1].toLowerCase()] = rest[2]?.replace(/\\(.)/g, '$1') ?? rest[3];
  }
  expect(param.lastIndex).toBe(match[2].length);
  return { scheme: match[1], params };
}

function expectStepUpChallenge(res: Response, maxAgeSeconds: number): void {
  expectContractError(res, 401, 'reauthentication_required');
  const challenge = parseChallenge(res.headers['www-authenticate'] as string);
  expect(challenge.scheme.toLowerCase()).toBe('bearer');
  expect(challenge.params.error).toBe('insufficient_user_authentication');
  expect(challenge.params.error_description).toEqual(expect.any(String));
  expect(Number(challenge.params.max_age)).toBe(maxAgeSeconds);
}

describe('recent authentication (step-up)', () => {
  let a: TestApp;
  /** A second instance on the same database. */
  let b: TestApp;
  const env = {
    REAUTH_MAX_AGE: '2s',
    REVOCATION_PROPAGATION: '1s',
    LOGIN_MAX_FAILURES: '3',
  };

  beforeAll(async () => {
    a = await createTestApp({ env });
    b = await createTestApp({ env, databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  describe('auth_time', () => {
    it('is the sign-in time, and every refresh carries it on unchanged', async () => {
      const before = Math.floor(Date.now() / 1000);
      const user = await registerUser(a.url);
      const after = Math.ceil(Date.now() / 1000);
      const signedIn = authTimeOf(user.tokens.accessToken);
      expect(signedIn).toBeGreaterThanOrEqual(before);
      expect(signedIn).toBeLessThanOrEqual(after);
      expect(signedIn).toBeLessThanOrEqual(
        decodeJwt(user.tokens.accessToken).payload.iat as number,
      );
      const [row] = await queryRows<{ created: number; auth: number }>(
        a.databaseUrl,
        `SELECT floor(extract(epoch FROM created_at))::int AS created,
                floor(extract(epoch FROM auth_time))::int AS auth
           FROM sessions WHERE id = $1`,
        [user.tokens.sessionId],
      );
      expect(row).toEqual({ created: signedIn, auth: signedIn });

      await sleep(1_100);
      const first = await refresh(a.url, user.tokens.refreshToken).expect(200);
      // The same token again inside the grace window: the replay path signs it too.
      const replayed = await refresh(b.url, user.tokens.refreshToken).expect(200);
      const second = await refresh(b.url, first.body.refreshToken).expect(200);
      for (const res of [first, replayed, second]) {
        const claims = decodeJwt(res.body.accessToken).payload;
        expect(claims.auth_time).toBe(signedIn);
        expect(claims.iat).toBeGreaterThan(signedIn);
      }
      // The access token's AuthenticatedUser carries it as well: a fresh sign-in passes @RecentAuth.
      await me(a.url, second.body.accessToken).expect(200);
    });
  });

  describe('POST /auth/reauthenticate', () => {
    it('answers a fresh access token whose auth_time is now, and every later refresh carries it', async () => {
      const user = await registerUser(a.url);
      const signedIn = authTimeOf(user.tokens.accessToken);
      await sleep(1_100);

      const res = await reauthenticate(a.url, user.tokens.accessToken, user.password).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(
        ['accessToken', 'accessTokenExpiresAt', 'authTime', 'expiresIn', 'tokenType'].sort(),
      );
      expect(res.headers['cache-control']).toBe('no-store');
      const proved = authTimeOf(res.body.accessToken);
      expect(proved).toBeGreaterThan(signedIn);
      expect(Date.parse(res.body.authTime)).toBe(proved * 1000);
      expect(Math.abs(proved - Date.now() / 1000)).toBeLessThan(2);
      const claims = decodeJwt(res.body.accessToken).payload;
      expect(claims.sid).toBe(user.tokens.sessionId);
      expect(claims.roles).toEqual(['user']);
      expect(Date.parse(res.body.accessTokenExpiresAt)).toBe((claims.exp as number) * 1000);
      await me(b.url, res.body.accessToken).expect(200);

      // The refresh token issued at sign-in, rotated after the reauthentication: the new time.
      const first = await refresh(b.url, user.tokens.refreshToken).expect(200);
      const second = await refresh(a.url, first.body.refreshToken).expect(200);
      expect(authTimeOf(first.body.accessToken)).toBe(proved);
      expect(authTimeOf(second.body.accessToken)).toBe(proved);

      const events = await eventsOf(a.url, res.body.accessToken);
      expect(events[0]).toMatchObject({
        type: 'reauthenticated',
        sessionId: user.tokens.sessionId,
      });
    });

    it('proves only its own session: the user’s other sessions keep their auth_time', async () => {
      const user = await registerUser(a.url);
      const other = await login(a.url, user);
      await sleep(1_100);
      const proved = await reauthenticate(a.url, user.tokens.accessToken, user.password).expect(
        200,
      );
      const otherRefreshed = await refresh(a.url, other.refreshToken).expect(200);
      expect(authTimeOf(otherRefreshed.body.accessToken)).toBe(authTimeOf(other.accessToken));
      expect(authTimeOf(otherRefreshed.body.accessToken)).toBeLessThan(
        authTimeOf(proved.body.accessToken),
      );
    });

    it('refuses a wrong password with 403 invalid_credentials, recorded and counted toward the lockout', async () => {
      const user = await registerUser(a.url);
      for (let i = 0; i < 3; i++) {
        const res = await reauthenticate(a.url, user.tokens.accessToken, WRONG);
        expectContractError(res, 403, 'invalid_credentials');
      }
      const events = await eventsOf(a.url, user.tokens.accessToken);
      expect(events.filter((event) => event.type === 'login_failed')).toHaveLength(3);
      expect(events.filter((event) => event.type === 'login_locked')).toHaveLength(1);
      // Locked out: the right password is refused too, here and at sign-in from this client.
      const locked = await reauthenticate(a.url, user.tokens.accessToken, user.password);
      expectContractError(locked, 429, 'too_many_requests');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      const signIn = await request(a.url)
        .post('/auth/login')
        .send({ email: user.email, password: user.password });
      expectContractError(signIn, 429, 'too_many_requests');
      // No new auth_time was written by any of it.
      const [row] = await queryRows<{ same: boolean }>(
        a.databaseUrl,
        'SELECT auth_time = created_at AS same FROM sessions WHERE id = $1',
        [user.tokens.sessionId],
      );
      expect(row.same).toBe(true);
    });

    it('needs an access token, and refuses a revoked session', async () => {
      expectContractError(
        await request(a.url).post('/auth/reauthenticate').send({ password: 'whatever-1' }),
        401,
        'access_token_missing',
      );
      const user = await registerUser(a.url);
      await request(a.url)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${user.tokens.accessToken}`)
        .expect(204);
      expectContractError(
        await reauthenticate(a.url, user.tokens.accessToken, user.password),
        401,
        'session_revoked',
      );
    });

    it('in the cookie transport sets only the access cookie, and no token in the body', async () => {
      const { jar } = await signInWithCookies(a.url);
      const signedIn = authTimeOf(jar.cookies[ACCESS_COOKIE]);
      await sleep(1_100);

      const res = await request(a.url)
        .post('/auth/reauthenticate')
        .set('Cookie', jar.header('/auth/reauthenticate'))
        .set('X-CSRF-Token', jar.csrf)
        .send({ password: PASSWORD })
        .expect(200);
      expect(res.body.accessToken).toBeUndefined();
      const cookies = cookiesOf(res);
      expect(Object.keys(cookies)).toEqual([ACCESS_COOKIE]);
      expect(cookies[ACCESS_COOKIE].attributes).toEqual(
        expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']),
      );
      const proved = authTimeOf(cookies[ACCESS_COOKIE].value);
      expect(proved).toBeGreaterThan(signedIn);
      expect(Date.parse(res.body.authTime)).toBe(proved * 1000);
      expect(jar.cookies[REFRESH_COOKIE]).toBeDefined();
      expect(jar.cookies[CSRF_COOKIE]).toBeDefined();
    });
  });

  describe('DELETE /users/me', () => {
    /** A user with a second session begun on instance B. */
    async function userWithTwoSessions(): Promise<TestUser & { other: TestUser['tokens'] }> {
      const user = await registerUser(a.url);
      return { ...user, other: await login(b.url, user) };
    }

    it('asks for a recent sign-in with RFC 9470’s challenge; after reauthenticating it deletes everything', async () => {
      const user = await userWithTwoSessions();
      await sleep(2_200);

      expectStepUpChallenge(await deleteAccount(a.url, user.tokens.accessToken), 2);
      // Refreshing does not make a sign-in recent: auth_time rides along unchanged.
      const refreshed = await refresh(a.url, user.tokens.refreshToken).expect(200);
      expectStepUpChallenge(await deleteAccount(b.url, refreshed.body.accessToken), 2);
      // The account is untouched by the refusals.
      await me(b.url, user.other.accessToken).expect(200);

      const proved = await reauthenticate(a.url, refreshed.body.accessToken, user.password).expect(
        200,
      );
      const deleted = await deleteAccount(a.url, proved.body.accessToken).expect(204);
      const answeredAt = Date.now();
      expect(deleted.text).toBe('');

      // Every session's access tokens, on both instances, within REVOCATION_PROPAGATION.
      const tokens = [
        user.tokens.accessToken,
        refreshed.body.accessToken,
        proved.body.accessToken,
        user.other.accessToken,
      ];
      for (const url of [a.url, b.url]) {
        for (const token of tokens) {
          const res = await me(url, token);
          expectContractError(res, 401, 'session_revoked');
        }
      }
      expect(Date.now() - answeredAt).toBeLessThan(1_000);
      // Refresh tokens are refused, and the password no longer signs in.
      expect((await refresh(b.url, user.other.refreshToken)).status).toBe(401);
      expectContractError(
        await request(a.url)
          .post('/auth/login')
          .send({ email: user.email, password: user.password }),
        401,
        'invalid_credentials',
      );

      // Nothing of the account is left.
      const [left] = await queryRows<{ users: number; sessions: number; events: number }>(
        a.databaseUrl,
        `SELECT (SELECT count(*)::int FROM users WHERE id = $1) AS users,
                (SELECT count(*)::int FROM sessions WHERE user_id = $1) AS sessions,
                (SELECT count(*)::int FROM security_events WHERE user_id = $1) AS events`,
        [user.tokens.user.id],
      );
      expect(left).toEqual({ users: 0, sessions: 0, events: 0 });

      // The email can register again: a new account, not the old one.
      const again = await registerUser(b.url, { email: user.email });
      expect(again.tokens.user.id).not.toBe(user.tokens.user.id);
      expect(await eventsOf(b.url, again.tokens.accessToken)).toEqual([
        expect.objectContaining({ type: 'registered' }),
      ]);
    });

    it('deletes at once when the sign-in is recent, and clears the cookies of a browser', async () => {
      const { jar } = await signInWithCookies(a.url);
      const res = await request(a.url)
        .delete('/users/me')
        .set('Cookie', jar.header('/users/me'))
        .set('X-CSRF-Token', jar.csrf)
        .expect(204);
      const cleared = cookiesOf(res);
      for (const name of [ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE]) {
        expect(cleared[name].attributes).toContain('Max-Age=0');
      }
      expectContractError(
        await request(a.url).get('/auth/me').set('Cookie', jar.header('/auth/me')),
        401,
        'session_revoked',
      );
    });

    it('answers the cookie transport’s step-up refusal with the same challenge', async () => {
      const { jar } = await signInWithCookies(a.url);
      await sleep(2_200);
      expectStepUpChallenge(
        await request(a.url)
          .delete('/users/me')
          .set('Cookie', jar.header('/users/me'))
          .set('X-CSRF-Token', jar.csrf),
        2,
      );
    });
  });
});
