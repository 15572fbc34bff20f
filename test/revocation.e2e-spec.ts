import request from 'supertest';
import { me, meUntilRefused, registerUser } from './factories/users';
import { createTwoInstances, type DatabaseProxy, TwoInstances } from './support/app-behind-proxy';
import type { TestApp } from './support/test-app';

/**
 * Two instances on one database. Instance B reaches PostgreSQL through a proxy that the test can
 * cut: while it is cut, B still answers every access-token check, which proves it reads no row per
 * request; once restored, a logout on A reaches B within REVOCATION_PROPAGATION.
 */
describe('revocation across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let proxy: DatabaseProxy;
  let instances: TwoInstances;

  beforeAll(async () => {
    instances = await createTwoInstances({ REVOCATION_PROPAGATION: '1s' });
    ({ a, b, proxy } = instances);
  });
  afterAll(() => instances?.close());

  it('B answers access-token checks with no database at all', async () => {
    const { tokens } = await registerUser(a.url);
    await me(b.url, tokens.accessToken).expect(200);
    await proxy.cut();
    try {
      const responses = await Promise.all(
        Array.from({ length: 100 }, () => me(b.url, tokens.accessToken)),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(100).fill(200));
      expect(responses[0].body.sessionId).toBe(tokens.sessionId);
      // A route that needs a row does notice the database is gone.
      const profile = await request(b.url)
        .get('/users/me')
        .set('Authorization', `Bearer ${tokens.accessToken}`);
      expect(profile.status).toBe(503);
      expect(profile.body.code).toBe('service_unavailable');
    } finally {
      await proxy.restore();
    }
  });

  it('a logout on A stops the session’s access token on B within REVOCATION_PROPAGATION', async () => {
    // B's revocation listener reconnects after the outage above; a first revocation reaches B
    // once it is back (caught up), and then every one within REVOCATION_PROPAGATION.
    const first = await registerUser(a.url);
    await request(a.url)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${first.tokens.accessToken}`)
      .expect(204);
    expect((await meUntilRefused(b.url, first.tokens.accessToken, 15_000)).status).toBe(401);
    for (let round = 0; round < 5; round++) {
      const { tokens } = await registerUser(a.url);
      await me(b.url, tokens.accessToken).expect(200);
      await request(a.url)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${tokens.accessToken}`)
        .expect(204);
      const answeredAt = Date.now();
      // On A itself: at once.
      expect((await me(a.url, tokens.accessToken).expect(401)).body.code).toBe('session_revoked');
      const onB = await meUntilRefused(b.url, tokens.accessToken, 1_000, answeredAt);
      expect(onB.status).toBe(401);
      expect(onB.body.code).toBe('session_revoked');
    }
  });

  it('a revocation missed while B was cut off is caught up after it reconnects', async () => {
    const { tokens } = await registerUser(a.url);
    await me(b.url, tokens.accessToken).expect(200);
    await proxy.cut();
    await request(a.url)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${tokens.accessToken}`)
      .expect(204);
    // B cannot know yet: its notification connection is down.
    await me(b.url, tokens.accessToken).expect(200);
    await proxy.restore();
    expect((await meUntilRefused(b.url, tokens.accessToken, 5_000, Date.now(), 50)).status).toBe(
      401,
    );
  });
});
