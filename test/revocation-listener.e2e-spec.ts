import request from 'supertest';
import { me, meUntilRefused, registerUser } from './factories/users';
import { createTwoInstances, type DatabaseProxy, TwoInstances } from './support/app-behind-proxy';
import type { TestApp } from './support/test-app';

/**
 * Instance B reaches PostgreSQL through a proxy that can leave its connections half-open, as a
 * database failover does: nothing answers and nothing closes. B's revocation listener must notice
 * (its catch-up read times out), replace its connection, and learn of a revocation made on A.
 */
describe('revocation listener on a half-open connection', () => {
  let a: TestApp;
  let b: TestApp;
  let proxy: DatabaseProxy;
  let instances: TwoInstances;

  beforeAll(async () => {
    instances = await createTwoInstances({ REVOCATION_PROPAGATION: '1s' });
    ({ a, b, proxy } = instances);
  });
  afterAll(() => instances?.close());

  it('replaces the stuck connection and learns of a revocation made elsewhere', async () => {
    const { tokens } = await registerUser(a.url);
    await me(b.url, tokens.accessToken).expect(200);

    proxy.strand();
    await request(a.url)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${tokens.accessToken}`)
      .expect(204);

    // The listener's query timeout (2 s), a reconnect (1 s) and a catch-up read: generous room for
    // a loaded machine, far below the minutes a half-open connection would otherwise hang.
    const response = await meUntilRefused(b.url, tokens.accessToken, 20_000, Date.now(), 100);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('session_revoked');
  });
});
