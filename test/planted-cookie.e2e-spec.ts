import request from 'supertest';
import { decodeJwt, refresh } from './factories/users';
import {
  ACCESS_COOKIE,
  cookiesOf,
  CSRF_COOKIE,
  Jar,
  REFRESH_COOKIE,
  sessionIdOf,
  signInWithCookies,
} from './support/cookie-jar';
import { queryRows } from './support/test-database';
import { createTestApp, TestApp } from './support/test-app';

/**
 * A sibling subdomain can set `__Secure-refresh_token; Domain=example.com; Path=/auth/refresh` (or
 * `/auth/logout`) in the victim's browser. Its path is longer, so the browser sends it before the
 * service's own cookies: the Cookie header carries two refresh tokens, the attacker's first.
 */
describe('a refresh cookie planted by a sibling subdomain', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /** The victim's Cookie header with `planted` first, as the browser orders them. */
  function withPlanted(planted: string, victim: Jar, path: string): string {
    return `${REFRESH_COOKIE}=${planted}; ${victim.header(path)}`;
  }

  /** Whether the token is still its session's live one: never used. */
  async function isLive(refreshToken: string): Promise<boolean> {
    const { jti, sid } = decodeJwt(refreshToken).payload;
    const [row] = await queryRows<{ current_token_id: string }>(
      t.databaseUrl,
      'SELECT current_token_id FROM sessions WHERE id = $1',
      [sid],
    );
    return row.current_token_id === jti;
  }

  async function revokedReason(sessionId: unknown): Promise<unknown> {
    const [row] = await queryRows<{ revoked_reason: string | null }>(
      t.databaseUrl,
      'SELECT revoked_reason FROM sessions WHERE id = $1',
      [sessionId],
    );
    return row.revoked_reason;
  }

  it('cannot sign the browser into the attacker’s session on /auth/refresh: its own session rotates', async () => {
    const victim = await signInWithCookies(t.url);
    const attacker = await signInWithCookies(t.url);
    const planted = attacker.jar.cookies[REFRESH_COOKIE];

    const response = await request(t.url)
      .post('/auth/refresh')
      .set('Cookie', withPlanted(planted, victim.jar, '/auth/refresh'))
      .set('X-CSRF-Token', victim.jar.csrf)
      .expect(200);

    expect(response.body.sessionId).toBe(victim.body.sessionId);
    const set = cookiesOf(response);
    expect(sessionIdOf(set[ACCESS_COOKIE].value)).toBe(victim.body.sessionId);
    expect(sessionIdOf(set[REFRESH_COOKIE].value)).toBe(victim.body.sessionId);
    expect(set[CSRF_COOKIE].value).toBe(victim.jar.csrf);
    // The attacker's token was neither spent nor revoked: it still refreshes, once, for them.
    expect(await isLive(planted)).toBe(true);
    expect(await revokedReason(attacker.body.sessionId)).toBeNull();
    await request(t.url)
      .post('/auth/refresh')
      .set('Cookie', attacker.jar.header('/auth/refresh'))
      .set('X-CSRF-Token', attacker.jar.csrf)
      .expect(200);
  });

  it('is refused with 403 when the browser’s own refresh cookie is not there, and rotates nothing', async () => {
    const victim = await signInWithCookies(t.url);
    const attacker = await signInWithCookies(t.url);
    const planted = attacker.jar.cookies[REFRESH_COOKIE];
    delete victim.jar.cookies[REFRESH_COOKIE];

    const response = await request(t.url)
      .post('/auth/refresh')
      .set('Cookie', withPlanted(planted, victim.jar, '/auth/refresh'))
      .set('X-CSRF-Token', victim.jar.csrf)
      .expect(403);

    expect(response.body.code).toBe('csrf_token_invalid');
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(await isLive(planted)).toBe(true);
  });

  it('cannot make /auth/logout revoke the attacker’s session: the browser’s own ends, cookies cleared', async () => {
    const victim = await signInWithCookies(t.url);
    const attacker = await signInWithCookies(t.url);
    const victimRefresh = victim.jar.cookies[REFRESH_COOKIE];

    const response = await request(t.url)
      .post('/auth/logout')
      .set('Cookie', withPlanted(attacker.jar.cookies[REFRESH_COOKIE], victim.jar, '/auth/logout'))
      .set('X-CSRF-Token', victim.jar.csrf)
      .expect(204);

    const cleared = cookiesOf(response);
    for (const name of [ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE]) {
      expect(cleared[name].attributes).toContain('Max-Age=0');
    }
    expect(await revokedReason(victim.body.sessionId)).toBe('logout');
    expect((await refresh(t.url, victimRefresh).expect(401)).body.code).toBe('session_revoked');
    expect(await revokedReason(attacker.body.sessionId)).toBeNull();
    const me = await request(t.url).get('/auth/me').set('Cookie', attacker.jar.header());
    expect(me.status).toBe(200);
    expect(me.body.sessionId).toBe(attacker.body.sessionId);
  });

  it('a garbage refresh cookie sent first does not keep logout from ending the session', async () => {
    const victim = await signInWithCookies(t.url);
    const victimRefresh = victim.jar.cookies[REFRESH_COOKIE];

    const response = await request(t.url)
      .post('/auth/logout')
      .set('Cookie', withPlanted('garbage', victim.jar, '/auth/logout'))
      .set('X-CSRF-Token', victim.jar.csrf)
      .expect(204);

    expect(cookiesOf(response)[REFRESH_COOKIE].attributes).toContain('Max-Age=0');
    expect(cookiesOf(response)[ACCESS_COOKIE].attributes).toContain('Max-Age=0');
    expect(await revokedReason(victim.body.sessionId)).toBe('logout');
    expect((await refresh(t.url, victimRefresh).expect(401)).body.code).toBe('session_revoked');
  });

  it('logout falls back to the access cookie when only the planted refresh cookie is there', async () => {
    const victim = await signInWithCookies(t.url);
    const attacker = await signInWithCookies(t.url);
    delete victim.jar.cookies[REFRESH_COOKIE];

    await request(t.url)
      .post('/auth/logout')
      .set('Cookie', withPlanted(attacker.jar.cookies[REFRESH_COOKIE], victim.jar, '/auth/logout'))
      .set('X-CSRF-Token', victim.jar.csrf)
      .expect(204);

    expect(await revokedReason(victim.body.sessionId)).toBe('logout');
    expect(await revokedReason(attacker.body.sessionId)).toBeNull();
  });

  it('a planted refresh cookie with the attacker’s own CSRF value is still refused', async () => {
    // The page's script echoes its own CSRF cookie, which a sibling cannot set (`__Host-`).
    const victim = await signInWithCookies(t.url);
    const attacker = await signInWithCookies(t.url);
    const planted = attacker.jar.cookies[REFRESH_COOKIE];
    const response = await request(t.url)
      .post('/auth/refresh')
      .set('Cookie', withPlanted(planted, victim.jar, '/auth/refresh'))
      .set('X-CSRF-Token', attacker.jar.csrf)
      .expect(403);
    expect(response.body.code).toBe('csrf_token_invalid');
    expect(await isLive(planted)).toBe(true);
  });
});
