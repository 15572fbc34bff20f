import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { login, me, refresh, registerUser } from './factories/users';
import { createTestApp, TEST_DATA_DIR, TestApp } from './support/test-app';

const run = promisify(execFile);

describe('sessions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT: '100000/1m' } });
  });
  afterAll(() => t.close());

  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('lists the user’s live sessions, newest first, marking the current one', async () => {
    const user = await registerUser(t.url);
    const second = await login(t.url, user);
    const third = (
      await request(t.url)
        .post('/auth/login')
        .set('User-Agent', 'Browser/1.0 (test)')
        .send({ email: user.email, password: user.password })
        .expect(200)
    ).body;
    await request(t.url).post('/auth/logout').set(auth(second.accessToken)).expect(204);
    const response = await request(t.url)
      .get('/sessions')
      .set(auth(user.tokens.accessToken))
      .set('User-Agent', 'ignored-for-listing')
      .expect(200);
    expect(response.body.map((session: { id: string }) => session.id)).toEqual([
      third.sessionId,
      user.tokens.sessionId,
    ]);
    expect(response.body[1]).toEqual({
      id: user.tokens.sessionId,
      createdAt: expect.any(String),
      lastUsedAt: expect.any(String),
      expiresAt: user.tokens.refreshTokenExpiresAt,
      absoluteExpiresAt: expect.any(String),
      userAgent: null,
      ip: '127.0.0.1',
      current: true,
      device: null,
      persistent: true,
    });
    expect(response.body[0]).toMatchObject({ current: false, userAgent: 'Browser/1.0 (test)' });
  });

  it('DELETE /sessions/:id revokes that session only', async () => {
    const user = await registerUser(t.url);
    const other = await login(t.url, user);
    await request(t.url)
      .delete(`/sessions/${other.sessionId}`)
      .set(auth(user.tokens.accessToken))
      .expect(204);
    expect((await me(t.url, other.accessToken).expect(401)).body.code).toBe('session_revoked');
    expect((await refresh(t.url, other.refreshToken).expect(401)).body.code).toBe(
      'session_revoked',
    );
    await me(t.url, user.tokens.accessToken).expect(200);
  });

  it('DELETE /sessions revokes every other session; this one goes on', async () => {
    const user = await registerUser(t.url);
    const others = [await login(t.url, user), await login(t.url, user)];
    await request(t.url).delete('/sessions').set(auth(user.tokens.accessToken)).expect(204);
    for (const other of others) await me(t.url, other.accessToken).expect(401);
    await me(t.url, user.tokens.accessToken).expect(200);
    const list = await request(t.url).get('/sessions').set(auth(user.tokens.accessToken));
    expect(list.body.map((session: { id: string }) => session.id)).toEqual([user.tokens.sessionId]);
  });

  it('user X can neither see nor revoke user Y’s sessions: 404 session_not_found', async () => {
    const x = await registerUser(t.url);
    const y = await registerUser(t.url);
    const response = await request(t.url)
      .delete(`/sessions/${y.tokens.sessionId}`)
      .set(auth(x.tokens.accessToken))
      .expect(404);
    expect(response.body).toEqual({
      statusCode: 404,
      code: 'session_not_found',
      message: expect.any(String),
    });
    await me(t.url, y.tokens.accessToken).expect(200);
    const list = await request(t.url).get('/sessions').set(auth(x.tokens.accessToken));
    expect(list.body.map((session: { id: string }) => session.id)).not.toContain(
      y.tokens.sessionId,
    );
  });

  it.each(['not-an-id', '00000000-0000-0000-0000-000000000000', '%00', 'a'.repeat(200)])(
    'answers 404 session_not_found for %j',
    async (id) => {
      const user = await registerUser(t.url);
      const response = await request(t.url)
        .delete(`/sessions/${encodeURIComponent(id)}`)
        .set(auth(user.tokens.accessToken))
        .expect(404);
      expect(response.body.code).toBe('session_not_found');
    },
  );

  describe('admin', () => {
    it('a plain user gets 403 forbidden on admin routes', async () => {
      const user = await registerUser(t.url);
      const target = await registerUser(t.url);
      for (const method of ['get', 'delete'] as const) {
        const response = await request(t.url)
          [method](`/admin/users/${target.tokens.user.id}/sessions`)
          .set(auth(user.tokens.accessToken))
          .expect(403);
        expect(response.body.code).toBe('forbidden');
      }
      await me(t.url, target.tokens.accessToken).expect(200);
    });

    it('an admin made with npm run user:role lists and revokes another user’s sessions', async () => {
      const admin = await registerUser(t.url);
      const target = await registerUser(t.url);
      const second = await login(t.url, target);
      const env = { ...process.env, DATABASE_URL: t.databaseUrl, DATA_DIR: TEST_DATA_DIR };
      const { stdout } = await run('npm', ['run', '-s', 'user:role', '--', admin.email, 'admin'], {
        env,
      });
      expect(stdout).toContain('admin');
      // Roles travel in access tokens: the grant shows from the next refresh.
      await request(t.url)
        .get(`/admin/users/${target.tokens.user.id}/sessions`)
        .set(auth(admin.tokens.accessToken))
        .expect(403);
      const promoted = (await refresh(t.url, admin.tokens.refreshToken).expect(200)).body;
      expect(promoted.user.roles).toEqual(['user', 'admin']);

      const list = await request(t.url)
        .get(`/admin/users/${target.tokens.user.id}/sessions`)
        .set(auth(promoted.accessToken))
        .expect(200);
      expect(list.body.map((session: { id: string }) => session.id).sort()).toEqual(
        [target.tokens.sessionId, second.sessionId].sort(),
      );
      await request(t.url)
        .delete(`/admin/users/${target.tokens.user.id}/sessions`)
        .set(auth(promoted.accessToken))
        .expect(204);
      await me(t.url, target.tokens.accessToken).expect(401);
      await me(t.url, second.accessToken).expect(401);
      await me(t.url, promoted.accessToken).expect(200);

      await request(t.url)
        .get('/admin/users/00000000-0000-4000-8000-000000000000/sessions')
        .set(auth(promoted.accessToken))
        .expect(404);

      await run('npm', ['run', '-s', 'user:role', '--', admin.email, 'admin', '--remove'], { env });
      const demoted = (await refresh(t.url, promoted.refreshToken).expect(200)).body;
      expect(demoted.user.roles).toEqual(['user']);
      await request(t.url)
        .get(`/admin/users/${target.tokens.user.id}/sessions`)
        .set(auth(demoted.accessToken))
        .expect(403);
    });
  });
});
