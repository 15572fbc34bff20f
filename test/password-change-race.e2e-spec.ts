import request from 'supertest';
import { refresh, registerUser, TestUser } from './factories/users';
import { queryRows } from './support/test-database';
import { createTestApp, TestApp } from './support/test-app';

const NEW_PASSWORD = 'Another-Long-Secret-42';

/**
 * A sign-in spends about 30 ms in argon2 between reading the hash and creating its session; a
 * password change that commits in that gap must not leave a session proved with the old password.
 */
describe('password change racing sign-ins', () => {
  let app: TestApp;

  beforeAll(async () => {
    // The old-password sign-ins after the change fail: keep the lockout out of the way.
    app = await createTestApp({ env: { LOGIN_MAX_FAILURES: '100' } });
  });
  afterAll(() => app?.close());

  function changePassword(user: TestUser, current: string, next: string) {
    return request(app.url)
      .post('/auth/password')
      .set('Authorization', `Bearer ${user.tokens.accessToken}`)
      .send({ currentPassword: current, newPassword: next });
  }

  function liveSessions(userId: string): Promise<{ id: string }[]> {
    return queryRows<{ id: string }>(
      app.databaseUrl,
      'SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
      [userId],
    );
  }

  it('leaves none of twenty old-password sign-ins alive after the change', async () => {
    const user = await registerUser(app.url);
    // Two sign-ins in flight at every moment, and the change starts after the first few: whenever
    // its UPDATE commits, a sign-in is most likely between its read of the hash and its INSERT.
    let answered = 0;
    let change: Promise<request.Response> | null = null;
    const signInOneAfterAnother = async (): Promise<request.Response[]> => {
      const answers: request.Response[] = [];
      for (let i = 0; i < 10; i++) {
        answers.push(
          await request(app.url)
            .post('/auth/login')
            .send({ email: user.email, password: user.password }),
        );
        if (++answered === 4) change = changePassword(user, user.password, NEW_PASSWORD).then();
      }
      return answers;
    };
    const answers = (await Promise.all([signInOneAfterAnother(), signInOneAfterAnother()])).flat();
    expect((await change!).status).toBe(204);

    for (const answer of answers) {
      expect([200, 401]).toContain(answer.status);
      if (answer.status === 401) expect(answer.body.code).toBe('invalid_credentials');
    }
    expect((await liveSessions(user.tokens.user.id)).map((row) => row.id)).toEqual([
      user.tokens.sessionId,
    ]);
    for (const answer of answers.filter((a) => a.status === 200)) {
      const refused = await refresh(app.url, answer.body.refreshToken);
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('session_revoked');
    }
    // The new password works, the old one does not.
    await request(app.url)
      .post('/auth/login')
      .send({ email: user.email, password: NEW_PASSWORD })
      .expect(200);
    await request(app.url)
      .post('/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(401);
  });

  it('lets only one of two parallel changes from the same password win', async () => {
    const user = await registerUser(app.url);
    const answers = await Promise.all([
      changePassword(user, user.password, 'First-New-Secret-7781'),
      changePassword(user, user.password, 'Second-New-Secret-9913'),
    ]);
    const statuses = answers.map((answer) => answer.status).sort();
    // Had they run one after the other, the second would prove a password no longer current too.
    expect(statuses).toEqual([204, 403]);
    const refused = answers.find((answer) => answer.status === 403)!;
    expect(refused.body.code).toBe('invalid_credentials');
  });

  it('records password_changed once, naming the caller’s session, even with no other session', async () => {
    const user = await registerUser(app.url);
    await changePassword(user, user.password, NEW_PASSWORD).expect(204);
    const events = await request(app.url)
      .get('/users/me/security-events')
      .set('Authorization', `Bearer ${user.tokens.accessToken}`)
      .expect(200);
    const changed = (events.body as { type: string; sessionId: string | null }[]).filter(
      (event) => event.type === 'password_changed',
    );
    expect(changed).toEqual([
      expect.objectContaining({ type: 'password_changed', sessionId: user.tokens.sessionId }),
    ]);
  });

  it('records one password_changed for the caller’s session when others are revoked', async () => {
    const user = await registerUser(app.url);
    await request(app.url)
      .post('/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    await changePassword(user, user.password, NEW_PASSWORD).expect(204);
    const events = await request(app.url)
      .get('/users/me/security-events')
      .set('Authorization', `Bearer ${user.tokens.accessToken}`)
      .expect(200);
    const changed = (events.body as { type: string; sessionId: string | null }[]).filter(
      (event) => event.type === 'password_changed',
    );
    expect(changed).toEqual([
      expect.objectContaining({ type: 'password_changed', sessionId: user.tokens.sessionId }),
    ]);
    expect((await liveSessions(user.tokens.user.id)).map((row) => row.id)).toEqual([
      user.tokens.sessionId,
    ]);
  });

  it('changes nothing when the revocation of the other sessions fails: both, or neither', async () => {
    const user = await registerUser(app.url);
    const other = await request(app.url)
      .post('/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    // A fault between writing the new hash and revoking the other sessions, made by the database
    // itself: the revocation's statement fails for this user alone.
    await queryRows(
      app.databaseUrl,
      `CREATE FUNCTION refuse_password_changed() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'injected fault'; END $$`,
    );
    await queryRows(
      app.databaseUrl,
      `CREATE TRIGGER refuse_password_changed BEFORE INSERT ON security_events FOR EACH ROW
       WHEN (NEW.type = 'password_changed' AND NEW.user_id = '${user.tokens.user.id}')
       EXECUTE FUNCTION refuse_password_changed()`,
    );
    try {
      const answer = await changePassword(user, user.password, NEW_PASSWORD);
      expect(answer.status).toBeGreaterThanOrEqual(500);
    } finally {
      await queryRows(app.databaseUrl, 'DROP TRIGGER refuse_password_changed ON security_events');
    }
    // The old password is still the account's, and the other session still refreshes.
    await request(app.url)
      .post('/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    await request(app.url)
      .post('/auth/login')
      .send({ email: user.email, password: NEW_PASSWORD })
      .expect(401);
    await refresh(app.url, other.body.refreshToken).expect(200);
  });
});
