import request from 'supertest';
import { me, meUntilRefused, registerUser, sleep } from './factories/users';
import { createTestApp, TestApp } from './support/test-app';

/**
 * Each instance remembers the access tokens it has verified (src/auth/tokens). A remembered token
 * must still die with its session, at once on the instance that revoked it and within the
 * propagation window on another, and must still expire on time.
 */
describe('remembered access tokens', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await createTestApp({ env: { ACCESS_TOKEN_TTL: '3s' } });
    b = await createTestApp({ databaseUrl: a.databaseUrl, env: { ACCESS_TOKEN_TTL: '3s' } });
  });
  afterAll(async () => {
    await b.stop();
    await a.close();
  });

  it('a token verified many times fails at once after logout, here and on another instance', async () => {
    const { tokens } = await registerUser(a.url);
    for (let i = 0; i < 3; i++) {
      await me(a.url, tokens.accessToken).expect(200);
      await me(b.url, tokens.accessToken).expect(200);
    }
    await request(a.url)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${tokens.accessToken}`)
      .expect(204);

    const here = await me(a.url, tokens.accessToken).expect(401);
    expect(here.body.code).toBe('session_revoked');
    const there = await meUntilRefused(b.url, tokens.accessToken, 1_000);
    expect(there.status).toBe(401);
    expect(there.body.code).toBe('session_revoked');
  });

  it('a remembered token fails with access_token_expired once its exp has passed', async () => {
    const { tokens } = await registerUser(a.url);
    await me(a.url, tokens.accessToken).expect(200);
    await me(a.url, tokens.accessToken).expect(200);
    await sleep(Date.parse(tokens.accessTokenExpiresAt) - Date.now() + 50);
    const response = await me(a.url, tokens.accessToken).expect(401);
    expect(response.body.code).toBe('access_token_expired');
  });
});
