import request from 'supertest';
import {
  decodeJwt,
  PASSWORD,
  refresh,
  registerUser,
  TokenResponse,
  uniqueEmail,
} from './factories/users';
import { createTestApp, TestApp } from './support/test-app';

/**
 * "An access token's `exp` never passes its session's absolute end": with SESSION_MAX_AGE shorter
 * than ACCESS_TOKEN_TTL, every access token (sign-in, rotation, replay) and its cookie end with the
 * session.
 */
describe('access-token lifetime capped by the session', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ env: { ACCESS_TOKEN_TTL: '15m', SESSION_MAX_AGE: '60s' } });
  });
  afterAll(() => app?.close());

  async function sessionEnd(tokens: TokenResponse): Promise<number> {
    const sessions = await request(app.url)
      .get('/sessions')
      .set('Authorization', `Bearer ${tokens.accessToken}`)
      .expect(200);
    const current = (sessions.body as { current: boolean; absoluteExpiresAt: string }[]).find(
      (session) => session.current,
    )!;
    return new Date(current.absoluteExpiresAt).getTime() / 1000;
  }

  function expectCapped(tokens: TokenResponse, end: number): void {
    const { exp, iat } = decodeJwt(tokens.accessToken).payload as { exp: number; iat: number };
    expect(exp).toBeLessThanOrEqual(end);
    expect(exp - iat).toBeLessThanOrEqual(60);
    expect(tokens.expiresIn).toBe(exp - iat);
    expect(new Date(tokens.accessTokenExpiresAt).getTime()).toBe(exp * 1000);
  }

  it('caps exp at the session’s absolute end on sign-in, rotation and replay', async () => {
    const { tokens } = await registerUser(app.url);
    const end = await sessionEnd(tokens);
    expectCapped(tokens, end);

    const rotated = await refresh(app.url, tokens.refreshToken).expect(200);
    expectCapped(rotated.body as TokenResponse, end);
    // The same token again inside the grace window: the replay's access token is capped too.
    const replayed = await refresh(app.url, tokens.refreshToken).expect(200);
    expect(replayed.body.refreshToken).toBe(rotated.body.refreshToken);
    expectCapped(replayed.body as TokenResponse, end);
  });

  it('gives the access cookie a Max-Age that ends with the session', async () => {
    const response = await request(app.url)
      .post('/auth/register')
      .set('X-Auth-Transport', 'cookie')
      .send({ email: uniqueEmail(), password: PASSWORD })
      .expect(201);
    const cookies = response.headers['set-cookie'] as unknown as string[];
    const access = cookies.find((cookie) => cookie.startsWith('__Host-access_token='))!;
    const maxAge = Number(/Max-Age=(\d+)/.exec(access)![1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(60);
    expect(response.body.expiresIn).toBeLessThanOrEqual(60);
  });
});
