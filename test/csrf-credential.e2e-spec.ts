import request from 'supertest';
import { registerUser } from './factories/users';
import {
  ACCESS_COOKIE,
  CSRF_COOKIE,
  REFRESH_COOKIE,
  signInWithCookies,
} from './support/cookie-jar';
import { createTestApp, TestApp } from './support/test-app';

/** The CSRF check is decided with the very credential that authenticates the request. */
describe('CSRF follows the credential used', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('an Authorization header that is not Bearer does not switch the check off for the access cookie', async () => {
    const { jar, body } = await signInWithCookies(t.url);
    const response = await request(t.url)
      .post('/auth/logout-all')
      .set('Authorization', 'Basic x')
      .set('Cookie', jar.header())
      .expect(403);
    expect(response.body.code).toBe('csrf_token_invalid');
    const me = await request(t.url).get('/auth/me').set('Cookie', jar.header()).expect(200);
    expect(me.body.sessionId).toBe(body.sessionId);

    // With the CSRF header, the cookie is what authenticates it.
    await request(t.url)
      .post('/auth/logout-all')
      .set('Authorization', 'Basic x')
      .set('Cookie', jar.header())
      .set('X-CSRF-Token', jar.csrf)
      .expect(204);
    await request(t.url).get('/auth/me').set('Cookie', jar.header()).expect(401);
  });

  it('an empty access cookie does not hide the refresh cookie from the check', async () => {
    const { jar } = await signInWithCookies(t.url);
    const response = await request(t.url)
      .post('/auth/refresh')
      .set('Cookie', `${REFRESH_COOKIE}=${jar.cookies[REFRESH_COOKIE]}; ${ACCESS_COOKIE}=`)
      .expect(403);
    expect(response.body.code).toBe('csrf_token_invalid');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('a Bearer header does not switch the check off on /auth/refresh, where the cookie is used', async () => {
    const { jar } = await signInWithCookies(t.url);
    const { tokens } = await registerUser(t.url);
    const response = await request(t.url)
      .post('/auth/refresh')
      .set('Authorization', `Bearer ${tokens.accessToken}`)
      .set('Cookie', jar.header('/auth/refresh'))
      .expect(403);
    expect(response.body.code).toBe('csrf_token_invalid');
  });

  it('a Bearer header is the credential when present: no CSRF value, and the cookie is not used', async () => {
    const browser = await signInWithCookies(t.url);
    const { tokens } = await registerUser(t.url);
    await request(t.url)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${tokens.accessToken}`)
      .set('Cookie', browser.jar.header('/auth/logout'))
      .expect(204);
    const bearerMe = await request(t.url)
      .get('/auth/me')
      .set('Authorization', `Bearer ${tokens.accessToken}`);
    expect(bearerMe.body.code).toBe('session_revoked');
    await request(t.url).get('/auth/me').set('Cookie', browser.jar.header()).expect(200);
  });

  it('a CSRF value alone, with no cookie credential, is no credential', async () => {
    const { jar } = await signInWithCookies(t.url);
    const response = await request(t.url)
      .post('/auth/logout-all')
      .set('Cookie', `${CSRF_COOKIE}=${jar.csrf}`)
      .set('X-CSRF-Token', jar.csrf)
      .expect(401);
    expect(response.body.code).toBe('access_token_missing');
  });
});
