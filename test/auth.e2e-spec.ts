import request from 'supertest';
import {
  decodeJwt,
  login,
  me,
  PASSWORD,
  refresh,
  registerUser,
  uniqueEmail,
} from './factories/users';
import { createTestApp, TestApp } from './support/test-app';
import { queryRows } from './support/test-database';

describe('accounts and sign-in', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT: '100000/1m', LOGIN_MAX_FAILURES: '1000' } });
  });
  afterAll(() => t.close());

  describe('POST /auth/register', () => {
    it('creates the account and answers a token response, trimmed and lower-cased', async () => {
      const email = uniqueEmail('reg');
      const response = await request(t.url)
        .post('/auth/register')
        .send({ email: `  ${email.toUpperCase()} `, password: PASSWORD, displayName: 'Ada' })
        .expect(201);
      expect(response.headers['cache-control']).toBe('no-store');
      const body = response.body;
      expect(body).toMatchObject({
        tokenType: 'Bearer',
        expiresIn: 900,
        user: { email, displayName: 'Ada', roles: ['user'] },
      });
      expect(typeof body.accessToken).toBe('string');
      expect(typeof body.refreshToken).toBe('string');
      expect(Date.parse(body.accessTokenExpiresAt) - Date.now()).toBeGreaterThan(890_000);
      const refreshLifetime = Date.parse(body.refreshTokenExpiresAt) - Date.now();
      expect(refreshLifetime).toBeGreaterThan(7 * 86_400_000 - 10_000);
      expect(refreshLifetime).toBeLessThanOrEqual(7 * 86_400_000);

      const [row] = await queryRows<{ email: string; password_hash: string }>(
        t.databaseUrl,
        'SELECT email, password_hash FROM users WHERE id = $1',
        [body.user.id],
      );
      expect(row.email).toBe(email);
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    });

    it('issues tokens with the contract’s headers and claims', async () => {
      const { tokens } = await registerUser(t.url);
      const access = decodeJwt(tokens.accessToken);
      expect(access.header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      expect(typeof access.header.kid).toBe('string');
      expect(access.payload).toMatchObject({
        iss: 'http://localhost:3000',
        aud: 'session-service',
        sub: tokens.user.id,
        sid: tokens.sessionId,
        roles: ['user'],
      });
      expect(Object.keys(access.payload).sort()).toEqual(
        ['aud', 'auth_time', 'exp', 'iat', 'iss', 'jti', 'roles', 'sid', 'sub'].sort(),
      );
      const refreshJwt = decodeJwt(tokens.refreshToken);
      expect(refreshJwt.header).toMatchObject({ typ: 'refresh+jwt' });
      expect(refreshJwt.header.alg).not.toBe(access.header.alg);
      expect(Object.keys(refreshJwt.payload).sort()).toEqual(
        ['aud', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub'].sort(),
      );
    });

    it('refuses a taken email with 409 email_taken, whatever its case', async () => {
      const { email } = await registerUser(t.url);
      const response = await request(t.url)
        .post('/auth/register')
        .send({ email: email.toUpperCase(), password: PASSWORD })
        .expect(409);
      expect(response.body).toEqual({
        statusCode: 409,
        code: 'email_taken',
        message: expect.any(String),
      });
    });

    it.each([
      [{ email: 'not-an-email', password: PASSWORD }, 'email'],
      [{ email: uniqueEmail(), password: 'short' }, 'password'],
      [{ email: uniqueEmail(), password: 'x'.repeat(129) }, 'password'],
      [{ email: uniqueEmail(), password: PASSWORD, displayName: 'd'.repeat(101) }, 'displayName'],
      [{ email: uniqueEmail(), password: 12345678 }, 'password'],
      [{ email: uniqueEmail(), password: PASSWORD, role: 'admin' }, 'role'],
    ])('answers 400 validation_failed naming the field for %j', async (body, field) => {
      const response = await request(t.url).post('/auth/register').send(body).expect(400);
      expect(response.body.code).toBe('validation_failed');
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    });

    it('counts every character of a long password (no 72-byte truncation)', async () => {
      const base = 'p'.repeat(100);
      const user = await registerUser(t.url, { password: `${base}A` });
      await request(t.url)
        .post('/auth/login')
        .send({ email: user.email, password: `${base}B` })
        .expect(401);
      await login(t.url, { email: user.email, password: `${base}A` });
    });
  });

  describe('POST /auth/login', () => {
    it('starts a new session each time', async () => {
      const user = await registerUser(t.url);
      const second = await login(t.url, user);
      expect(second.sessionId).not.toBe(user.tokens.sessionId);
      expect(second.user.id).toBe(user.tokens.user.id);
    });

    it('answers the same 401 invalid_credentials for an unknown email and a wrong password', async () => {
      const user = await registerUser(t.url);
      const wrong = await request(t.url)
        .post('/auth/login')
        .send({ email: user.email, password: 'Wrong-password-1' })
        .expect(401);
      const unknown = await request(t.url)
        .post('/auth/login')
        .send({ email: uniqueEmail('nobody'), password: 'Wrong-password-1' })
        .expect(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.body.code).toBe('invalid_credentials');
    });

    it('re-hashes a stored hash with weaker parameters at the next good login', async () => {
      const user = await registerUser(t.url);
      // A hash made elsewhere with weaker parameters, for the same password.
      const argon2 = await import('argon2');
      const weakHash = await argon2.hash(user.password, {
        type: argon2.argon2id,
        memoryCost: 4096,
        timeCost: 1,
        parallelism: 1,
      });
      expect(weakHash).toMatch(/m=4096,p=1,t=1/);
      await queryRows(t.databaseUrl, 'UPDATE users SET password_hash = $1 WHERE email = $2', [
        weakHash,
        user.email,
      ]);
      await login(t.url, user);
      const [row] = await queryRows<{ password_hash: string }>(
        t.databaseUrl,
        'SELECT password_hash FROM users WHERE email = $1',
        [user.email],
      );
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    });
  });

  describe('GET /auth/me', () => {
    it('answers from the token: id, roles, session and expiry', async () => {
      const { tokens } = await registerUser(t.url);
      const response = await me(t.url, tokens.accessToken).expect(200);
      expect(response.body).toEqual({
        id: tokens.user.id,
        roles: ['user'],
        sessionId: tokens.sessionId,
        expiresAt: tokens.accessTokenExpiresAt,
      });
    });

    it('answers 401 access_token_missing without a token, with WWW-Authenticate', async () => {
      const response = await request(t.url).get('/auth/me').expect(401);
      expect(response.body.code).toBe('access_token_missing');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    });

    it('answers 401 access_token_invalid for garbage, with error="invalid_token"', async () => {
      const response = await me(t.url, 'not.a.token').expect(401);
      expect(response.body.code).toBe('access_token_invalid');
      expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('treats an Authorization header of another scheme as no token at all', async () => {
      const response = await request(t.url)
        .get('/auth/me')
        .set('Authorization', 'Basic dXNlcjpwYXNz')
        .expect(401);
      expect(response.body.code).toBe('access_token_missing');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="session-service"');
    });
  });

  describe('GET /users/me and security events', () => {
    it('returns the stored profile', async () => {
      const user = await registerUser(t.url, { displayName: 'Grace' });
      const response = await request(t.url)
        .get('/users/me')
        .set('Authorization', `Bearer ${user.tokens.accessToken}`)
        .expect(200);
      expect(response.body).toEqual(user.tokens.user);
    });

    it('lists the user’s events newest first, failed logins included', async () => {
      const user = await registerUser(t.url);
      await request(t.url).post('/auth/login').send({ email: user.email, password: 'nope-nope-1' });
      const second = await login(t.url, user);
      const response = await request(t.url)
        .get('/users/me/security-events')
        .set('Authorization', `Bearer ${second.accessToken}`)
        .expect(200);
      expect(response.body.map((event: { type: string }) => event.type)).toEqual([
        'login',
        'login_failed',
        'registered',
      ]);
      expect(response.body[0]).toMatchObject({
        sessionId: second.sessionId,
        ip: '127.0.0.1',
        at: expect.any(String),
      });
    });
  });

  describe('logout, logout-all, password', () => {
    it('logout with the refresh token revokes the session: both tokens stop working', async () => {
      const { tokens } = await registerUser(t.url);
      await request(t.url)
        .post('/auth/logout')
        .send({ refreshToken: tokens.refreshToken })
        .expect(204);
      expect((await me(t.url, tokens.accessToken).expect(401)).body.code).toBe('session_revoked');
      expect((await refresh(t.url, tokens.refreshToken).expect(401)).body.code).toBe(
        'session_revoked',
      );
      // Idempotent.
      await request(t.url)
        .post('/auth/logout')
        .send({ refreshToken: tokens.refreshToken })
        .expect(204);
    });

    it('logout with only the access token revokes that session and no other', async () => {
      const user = await registerUser(t.url);
      const other = await login(t.url, user);
      await request(t.url)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${user.tokens.accessToken}`)
        .expect(204);
      await me(t.url, user.tokens.accessToken).expect(401);
      await me(t.url, other.accessToken).expect(200);
    });

    it('logout without any credential is 401', async () => {
      const response = await request(t.url).post('/auth/logout').expect(401);
      expect(response.body.code).toBe('access_token_missing');
    });

    it('logout-all revokes every session of the user and records logout_all', async () => {
      const user = await registerUser(t.url);
      const other = await login(t.url, user);
      const stranger = await registerUser(t.url);
      await request(t.url)
        .post('/auth/logout-all')
        .set('Authorization', `Bearer ${other.accessToken}`)
        .expect(204);
      await me(t.url, user.tokens.accessToken).expect(401);
      await me(t.url, other.accessToken).expect(401);
      await refresh(t.url, user.tokens.refreshToken).expect(401);
      await me(t.url, stranger.tokens.accessToken).expect(200);
      const third = await login(t.url, user);
      const events = await request(t.url)
        .get('/users/me/security-events')
        .set('Authorization', `Bearer ${third.accessToken}`)
        .expect(200);
      expect(events.body.map((event: { type: string }) => event.type)).toContain('logout_all');
    });

    it('password change keeps this session, revokes the others, and needs the current password', async () => {
      const user = await registerUser(t.url);
      const other = await login(t.url, user);
      const wrong = await request(t.url)
        .post('/auth/password')
        .set('Authorization', `Bearer ${user.tokens.accessToken}`)
        .send({ currentPassword: 'not-my-password', newPassword: 'A-new-password-42' })
        .expect(403);
      expect(wrong.body.code).toBe('invalid_credentials');

      await request(t.url)
        .post('/auth/password')
        .set('Authorization', `Bearer ${user.tokens.accessToken}`)
        .send({ currentPassword: user.password, newPassword: 'A-new-password-42' })
        .expect(204);
      await me(t.url, user.tokens.accessToken).expect(200);
      await refresh(t.url, user.tokens.refreshToken).expect(200);
      expect((await me(t.url, other.accessToken).expect(401)).body.code).toBe('session_revoked');
      await request(t.url)
        .post('/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(401);
      await login(t.url, { email: user.email, password: 'A-new-password-42' });
    });
  });

  it('serves the JWK Set with the key that verifies access tokens', async () => {
    const { tokens } = await registerUser(t.url);
    const response = await request(t.url).get('/.well-known/jwks.json').expect(200);
    const kid = decodeJwt(tokens.accessToken).header.kid;
    const key = response.body.keys.find((candidate: { kid: string }) => candidate.kid === kid);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key.d).toBeUndefined();
    const { importJWK, jwtVerify } = await import('jose');
    const verified = await jwtVerify(tokens.accessToken, await importJWK(key, 'ES256'));
    expect(verified.payload.sub).toBe(tokens.user.id);
  });
});
