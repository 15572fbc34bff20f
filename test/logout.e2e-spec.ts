import request from 'supertest';
import {
  decodeJwt,
  login,
  PASSWORD,
  refresh,
  registerUser,
  sleep,
  TokenResponse,
} from './factories/users';
import {
  ACCESS_COOKIE,
  cookiesOf,
  CSRF_COOKIE,
  REFRESH_COOKIE,
  signInWithCookies,
} from './support/cookie-jar';
import { queryRows } from './support/test-database';
import { createTestApp, TestApp } from './support/test-app';

async function revokedReason(t: TestApp, sessionId: string): Promise<string | null> {
  const [row] = await queryRows<{ revoked_reason: string | null }>(
    t.databaseUrl,
    'SELECT revoked_reason FROM sessions WHERE id = $1',
    [sessionId],
  );
  return row.revoked_reason;
}

async function eventTypes(t: TestApp, tokens: TokenResponse): Promise<string[]> {
  const fresh = await login(t.url, { email: tokens.user.email, password: PASSWORD });
  const events = await request(t.url)
    .get('/users/me/security-events')
    .set('Authorization', `Bearer ${fresh.accessToken}`)
    .expect(200);
  return (events.body as { type: string; sessionId: string | null }[])
    .filter((event) => event.sessionId === tokens.sessionId)
    .map((event) => event.type);
}

function logoutWith(t: TestApp, refreshToken: string) {
  return request(t.url).post('/auth/logout').send({ refreshToken });
}

describe('logout with a spent refresh token, after the grace window', () => {
  let t: TestApp;
  beforeAll(async () => {
    // No grace window: a used token is reuse from the moment it was used.
    t = await createTestApp({ env: { REFRESH_REUSE_GRACE: '0s' } });
  });
  afterAll(() => t.close());

  it('ends the session and records refresh_token_reused, as a refresh would', async () => {
    const { tokens } = await registerUser(t.url);
    const live = (await refresh(t.url, tokens.refreshToken).expect(200)).body as TokenResponse;

    await logoutWith(t, tokens.refreshToken).expect(204);

    expect(await revokedReason(t, tokens.sessionId)).toBe('refresh_token_reused');
    expect((await refresh(t.url, live.refreshToken).expect(401)).body.code).toBe('session_revoked');
    const types = await eventTypes(t, tokens);
    expect(types).toContain('refresh_token_reused');
    expect(types).not.toContain('session_revoked');
  });

  it('is answered 204 again once the session is over, recording nothing more', async () => {
    const { tokens } = await registerUser(t.url);
    await refresh(t.url, tokens.refreshToken).expect(200);
    await logoutWith(t, tokens.refreshToken).expect(204);
    await logoutWith(t, tokens.refreshToken).expect(204);
    expect(
      (await eventTypes(t, tokens)).filter((type) => type === 'refresh_token_reused'),
    ).toHaveLength(1);
  });
});

describe('logout inside the grace window, and by cookie', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { REFRESH_REUSE_GRACE: '1m' } });
  });
  afterAll(() => t.close());

  it('with the live token’s predecessor inside the window is a plain logout', async () => {
    const { tokens } = await registerUser(t.url);
    const live = (await refresh(t.url, tokens.refreshToken).expect(200)).body as TokenResponse;

    await logoutWith(t, tokens.refreshToken).expect(204);

    expect(await revokedReason(t, tokens.sessionId)).toBe('logout');
    expect((await refresh(t.url, live.refreshToken).expect(401)).body.code).toBe('session_revoked');
    const types = await eventTypes(t, tokens);
    expect(types).toContain('session_revoked');
    expect(types).not.toContain('refresh_token_reused');
  });

  it('with an older used token, even inside the window, is reuse', async () => {
    const { tokens } = await registerUser(t.url);
    const second = (await refresh(t.url, tokens.refreshToken).expect(200)).body as TokenResponse;
    await refresh(t.url, second.refreshToken).expect(200);
    await logoutWith(t, tokens.refreshToken).expect(204);
    expect(await revokedReason(t, tokens.sessionId)).toBe('refresh_token_reused');
  });

  it('clears the cookies when the refresh cookie turns out forged, and answers 401', async () => {
    const { jar } = await signInWithCookies(t.url);
    const genuine = jar.cookies[REFRESH_COOKIE];
    // Still names the browser's session (so it is the one chosen), but the signature is wrong.
    jar.cookies[REFRESH_COOKIE] =
      `${genuine.slice(0, -4)}${genuine.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const response = await request(t.url)
      .post('/auth/logout')
      .set('Cookie', jar.header('/auth/logout'))
      .set('X-CSRF-Token', jar.csrf)
      .expect(401);
    expect(response.body.code).toBe('refresh_token_invalid');
    for (const name of [ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE]) {
      expect(cookiesOf(response)[name].attributes).toContain('Max-Age=0');
    }
  });

  it('clears nothing when refused for its CSRF value', async () => {
    const { jar, body } = await signInWithCookies(t.url);
    const response = await request(t.url)
      .post('/auth/logout')
      .set('Cookie', jar.header('/auth/logout'))
      .expect(403);
    expect(response.body.code).toBe('csrf_token_invalid');
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(await revokedReason(t, body.sessionId as string)).toBeNull();
  });
});

describe('logout with an expired refresh token', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { REFRESH_TOKEN_TTL: '1s', SESSION_MAX_AGE: '1h' } });
  });
  afterAll(() => t.close());

  it('still ends its session', async () => {
    const { tokens } = await registerUser(t.url);
    const exp = decodeJwt(tokens.refreshToken).payload.exp as number;
    // The token is expired once the clock has passed its exp (in whole seconds).
    while (Date.now() < (exp + 1) * 1000) await sleep(100);
    expect((await refresh(t.url, tokens.refreshToken).expect(401)).body.code).toBe(
      'refresh_token_expired',
    );

    await logoutWith(t, tokens.refreshToken).expect(204);

    expect(await revokedReason(t, tokens.sessionId)).toBe('logout');
    expect((await refresh(t.url, tokens.refreshToken).expect(401)).body.code).toBe(
      'session_revoked',
    );
  });
});
