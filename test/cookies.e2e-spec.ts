import request from 'supertest';
import { PASSWORD, registerUser, uniqueEmail } from './factories/users';
import { cookiesOf, signInWithCookies } from './support/cookie-jar';
import { createTestApp, TestApp } from './support/test-app';

describe('cookie transport, CSRF and Origin', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { AUTH_RATE_LIMIT: '100000/1m', CORS_ORIGINS: 'https://app.example.com' },
    });
  });
  afterAll(() => t.close());

  const signIn = () => signInWithCookies(t.url);

  it('sets the three cookies with the contract’s attributes and puts no token in the body', async () => {
    const { body, response } = await signIn();
    expect(body.accessToken).toBeUndefined();
    expect(body.refreshToken).toBeUndefined();
    expect(body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      sessionId: expect.any(String),
    });
    expect(JSON.stringify(body)).not.toMatch(/eyJ/);
    const cookies = cookiesOf(response);
    expect(cookies['__Host-access_token'].attributes.sort()).toEqual(
      ['HttpOnly', 'Max-Age=899', 'Path=/', 'SameSite=Strict', 'Secure'].sort(),
    );
    const refresh = cookies['__Secure-refresh_token'].attributes;
    expect(refresh).toEqual(
      expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/auth']),
    );
    expect(Number(refresh.find((a) => a.startsWith('Max-Age='))!.slice(8))).toBeGreaterThan(
      604_790,
    );
    const csrf = cookies['__Host-csrf_token'].attributes;
    expect(csrf).toEqual(expect.arrayContaining(['Secure', 'SameSite=Strict', 'Path=/']));
    expect(csrf).not.toContain('HttpOnly');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('authenticates GET requests by the access cookie', async () => {
    const { jar, body } = await signIn();
    const me = await request(t.url).get('/auth/me').set('Cookie', jar.header()).expect(200);
    expect(me.body.sessionId).toBe(body.sessionId);
  });

  it('refuses an unsafe cookie request without X-CSRF-Token, or with a made-up or foreign one', async () => {
    const { jar } = await signIn();
    const other = await signIn();
    for (const csrf of [undefined, 'made-up', other.jar.csrf]) {
      const call = request(t.url).post('/auth/logout-all').set('Cookie', jar.header());
      if (csrf) call.set('X-CSRF-Token', csrf);
      const response = await call.expect(403);
      expect(response.body.code).toBe('csrf_token_invalid');
    }
    // The session is untouched.
    await request(t.url).get('/auth/me').set('Cookie', jar.header()).expect(200);
  });

  it('a Bearer request needs no CSRF header', async () => {
    const { tokens } = await registerUser(t.url);
    await request(t.url)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${tokens.accessToken}`)
      .expect(204);
  });

  it('refreshes by cookie with the CSRF header and answers with new cookies', async () => {
    const { jar, body } = await signIn();
    const before = { ...jar.cookies };
    await request(t.url)
      .post('/auth/refresh')
      .set('Cookie', jar.header('/auth/refresh'))
      .expect(403);
    const response = await request(t.url)
      .post('/auth/refresh')
      .set('Cookie', jar.header('/auth/refresh'))
      .set('X-CSRF-Token', jar.csrf)
      .expect(200);
    expect(response.body.refreshToken).toBeUndefined();
    expect(response.body.accessToken).toBeUndefined();
    expect(response.body.sessionId).toBe(body.sessionId);
    jar.take(response);
    expect(jar.cookies['__Secure-refresh_token']).not.toBe(before['__Secure-refresh_token']);
    expect(jar.cookies['__Host-access_token']).not.toBe(before['__Host-access_token']);
    await request(t.url).get('/auth/me').set('Cookie', jar.header()).expect(200);
  });

  it('a refresh token sent in the body is answered in the body, even on a cookie session', async () => {
    const { jar } = await signIn();
    const response = await request(t.url)
      .post('/auth/refresh')
      .send({ refreshToken: jar.cookies['__Secure-refresh_token'] })
      .expect(200);
    expect(typeof response.body.refreshToken).toBe('string');
    expect(typeof response.body.accessToken).toBe('string');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('logout clears the cookies (Max-Age=0) and revokes the session', async () => {
    const { jar } = await signIn();
    const saved = jar.header();
    const response = await request(t.url)
      .post('/auth/logout')
      .set('Cookie', jar.header('/auth/logout'))
      .set('X-CSRF-Token', jar.csrf)
      .expect(204);
    const cleared = cookiesOf(response);
    for (const name of ['__Host-access_token', '__Secure-refresh_token', '__Host-csrf_token']) {
      expect(cleared[name].attributes).toContain('Max-Age=0');
    }
    const after = await request(t.url).get('/auth/me').set('Cookie', saved).expect(401);
    expect(after.body.code).toBe('session_revoked');
  });

  it('revoking the current session from the list clears its cookies', async () => {
    const { jar, body } = await signIn();
    const response = await request(t.url)
      .delete(`/sessions/${body.sessionId}`)
      .set('Cookie', jar.header())
      .set('X-CSRF-Token', jar.csrf)
      .expect(204);
    expect(cookiesOf(response)['__Host-access_token'].attributes).toContain('Max-Age=0');
  });

  describe('Origin', () => {
    it('refuses an unsafe request from a foreign origin, whatever its credentials', async () => {
      const { jar } = await signIn();
      const { tokens } = await registerUser(t.url);
      const cases = [
        request(t.url)
          .post('/auth/logout-all')
          .set('Cookie', jar.header())
          .set('X-CSRF-Token', jar.csrf),
        request(t.url).post('/auth/logout').set('Authorization', `Bearer ${tokens.accessToken}`),
        request(t.url).post('/auth/login').send({ email: 'a@example.com', password: PASSWORD }),
      ];
      for (const call of cases) {
        const response = await call.set('Origin', 'https://evil.example').expect(403);
        expect(response.body.code).toBe('origin_not_allowed');
      }
      await request(t.url).get('/auth/me').set('Cookie', jar.header()).expect(200);
      await request(t.url)
        .get('/auth/me')
        .set('Authorization', `Bearer ${tokens.accessToken}`)
        .expect(200);
    });

    it('refuses a cross-site form post with 403, not 415', async () => {
      const { jar } = await signIn();
      const response = await request(t.url)
        .post('/auth/logout-all')
        .set('Origin', 'https://evil.example')
        .set('Cookie', jar.header())
        .type('form')
        .send('a=b')
        .expect(403);
      expect(response.body.code).toBe('origin_not_allowed');
      // The same form post from no origin but with cookies still lacks the CSRF header.
      const sameSite = await request(t.url)
        .post('/auth/logout-all')
        .set('Cookie', jar.header())
        .type('form')
        .send('a=b')
        .expect(403);
      expect(sameSite.body.code).toBe('csrf_token_invalid');
    });

    it('accepts the service’s own origin and CORS_ORIGINS, with CORS headers for the latter', async () => {
      const own = await request(t.url)
        .post('/auth/login')
        .set('Origin', 'http://localhost:3000')
        .send({ email: uniqueEmail(), password: PASSWORD });
      expect(own.status).toBe(401);
      const allowed = await request(t.url)
        .post('/auth/register')
        .set('Origin', 'https://app.example.com')
        .set('X-Auth-Transport', 'cookie')
        .send({ email: uniqueEmail(), password: PASSWORD })
        .expect(201);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(allowed.headers['access-control-allow-credentials']).toBe('true');
      const preflight = await request(t.url)
        .options('/auth/refresh')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'x-csrf-token,content-type');
      expect(preflight.status).toBeLessThan(300);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
      const foreign = await request(t.url)
        .options('/auth/refresh')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  it('refuses an unknown X-Auth-Transport with 400 naming it', async () => {
    const response = await request(t.url)
      .post('/auth/register')
      .set('X-Auth-Transport', 'carrier-pigeon')
      .send({ email: uniqueEmail(), password: PASSWORD })
      .expect(400);
    expect(response.body.code).toBe('validation_failed');
    expect(response.body.errors[0].field).toBe('X-Auth-Transport');
  });
});
