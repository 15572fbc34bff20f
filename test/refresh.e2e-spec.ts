import request from 'supertest';
import {
  decodeJwt,
  login,
  me,
  refresh,
  registerUser,
  sleep,
  TokenResponse,
} from './factories/users';
import { createTestApp, TestApp } from './support/test-app';
import { queryRows } from './support/test-database';

describe('refresh: rotation, grace window, reuse detection', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        // The default grace: under load, 20 refreshes queued on one row lock can take a second.
        AUTH_RATE_LIMIT: '100000/1m',
      },
    });
  });
  afterAll(() => t.close());

  it('rotates: a new refresh token and access token for the same session', async () => {
    const { tokens } = await registerUser(t.url);
    const response = await refresh(t.url, tokens.refreshToken).expect(200);
    const rotated = response.body as TokenResponse;
    expect(response.headers['cache-control']).toBe('no-store');
    expect(rotated.sessionId).toBe(tokens.sessionId);
    expect(rotated.refreshToken).not.toBe(tokens.refreshToken);
    expect(rotated.accessToken).not.toBe(tokens.accessToken);
    expect(decodeJwt(rotated.refreshToken).payload.jti).not.toBe(
      decodeJwt(tokens.refreshToken).payload.jti,
    );
    await me(t.url, rotated.accessToken).expect(200);
    // The chain is stored: the old token is used and names its successor.
    const rows = await queryRows<{ id: string; used_at: Date | null; successor_id: string | null }>(
      t.databaseUrl,
      'SELECT id, used_at, successor_id FROM refresh_tokens WHERE session_id = $1 ORDER BY issued_at, used_at NULLS LAST',
      [tokens.sessionId],
    );
    expect(rows).toHaveLength(2);
    const successorJti = decodeJwt(rotated.refreshToken).payload.jti;
    expect(rows.find((row) => row.id === decodeJwt(tokens.refreshToken).payload.jti)).toMatchObject(
      {
        successor_id: successorJti,
        used_at: expect.any(Date),
      },
    );
  });

  it('stores only a hash of each refresh token', async () => {
    const { tokens } = await registerUser(t.url);
    const rows = await queryRows<{ token_hash: Buffer }>(
      t.databaseUrl,
      'SELECT token_hash FROM refresh_tokens WHERE session_id = $1',
      [tokens.sessionId],
    );
    expect(rows[0].token_hash).toHaveLength(32);
    const dump = JSON.stringify(
      await queryRows(t.databaseUrl, 'SELECT * FROM refresh_tokens WHERE session_id = $1', [
        tokens.sessionId,
      ]),
    );
    expect(dump).not.toContain(tokens.refreshToken.split('.')[2]);
  });

  it('20 parallel refreshes with one token: all 200, one successor, no fork', async () => {
    const { tokens } = await registerUser(t.url);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => refresh(t.url, tokens.refreshToken)),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    const successors = new Set(
      responses.map((response) => decodeJwt(response.body.refreshToken).payload.jti),
    );
    expect(successors.size).toBe(1);
    expect(new Set(responses.map((response) => response.body.refreshToken)).size).toBe(1);
    const [{ count }] = await queryRows<{ count: string }>(
      t.databaseUrl,
      'SELECT count(*) FROM refresh_tokens WHERE session_id = $1',
      [tokens.sessionId],
    );
    expect(Number(count)).toBe(2);
    // Every access token handed out works, and the one successor rotates on.
    for (const response of responses) await me(t.url, response.body.accessToken).expect(200);
    await refresh(t.url, responses[0].body.refreshToken).expect(200);
  });

  it('the predecessor inside the grace window gets the same successor, with a fresh access token', async () => {
    const { tokens } = await registerUser(t.url);
    const first = (await refresh(t.url, tokens.refreshToken).expect(200)).body as TokenResponse;
    const again = (await refresh(t.url, tokens.refreshToken).expect(200)).body as TokenResponse;
    expect(again.refreshToken).toBe(first.refreshToken);
    expect(again.refreshTokenExpiresAt).toBe(first.refreshTokenExpiresAt);
    expect(again.sessionId).toBe(first.sessionId);
    await me(t.url, again.accessToken).expect(200);
    await me(t.url, first.accessToken).expect(200);
  });

  it('an older token revokes the session even inside the grace window', async () => {
    const { tokens } = await registerUser(t.url);
    const second = (await refresh(t.url, tokens.refreshToken).expect(200)).body as TokenResponse;
    const third = (await refresh(t.url, second.refreshToken).expect(200)).body as TokenResponse;
    expect((await refresh(t.url, tokens.refreshToken).expect(401)).body.code).toBe(
      'refresh_token_reused',
    );
    expect((await refresh(t.url, third.refreshToken).expect(401)).body.code).toBe(
      'session_revoked',
    );
    await me(t.url, third.accessToken).expect(401);
  });

  it('a refresh racing a logout of the same session mints nothing that works after the logout answers', async () => {
    for (let round = 0; round < 10; round++) {
      const { tokens } = await registerUser(t.url);
      const [refreshed, loggedOut] = await Promise.all([
        refresh(t.url, tokens.refreshToken),
        request(t.url).post('/auth/logout').set('Authorization', `Bearer ${tokens.accessToken}`),
      ]);
      expect(loggedOut.status).toBe(204);
      if (refreshed.status === 200) {
        const minted = refreshed.body as TokenResponse;
        expect((await me(t.url, minted.accessToken)).status).toBe(401);
        expect((await refresh(t.url, minted.refreshToken)).status).toBe(401);
      } else {
        expect(refreshed.status).toBe(401);
        expect(refreshed.body.code).toBe('session_revoked');
      }
    }
  });

  it.each([
    ['no token', {}, 'refresh_token_missing'],
    ['garbage', { refreshToken: 'garbage' }, 'refresh_token_invalid'],
  ])('answers 401 for %s', async (_label, body, code) => {
    const response = await request(t.url).post('/auth/refresh').send(body).expect(401);
    expect(response.body.code).toBe(code);
  });

  it('refuses a token whose stored row is gone as invalid', async () => {
    const { tokens } = await registerUser(t.url);
    await queryRows(t.databaseUrl, 'DELETE FROM refresh_tokens WHERE session_id = $1', [
      tokens.sessionId,
    ]);
    expect((await refresh(t.url, tokens.refreshToken).expect(401)).body.code).toBe(
      'refresh_token_invalid',
    );
  });
});

describe('refresh: after the grace window', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { REFRESH_REUSE_GRACE: '1s', AUTH_RATE_LIMIT: '100000/1m' },
    });
  });
  afterAll(() => t.close());

  it('the predecessor after the grace window revokes the whole session', async () => {
    const { tokens } = await registerUser(t.url);
    const live = (await refresh(t.url, tokens.refreshToken).expect(200)).body as TokenResponse;
    await sleep(1_300);
    const reused = await refresh(t.url, tokens.refreshToken).expect(401);
    expect(reused.body).toEqual({
      statusCode: 401,
      code: 'refresh_token_reused',
      message: expect.any(String),
    });
    // The live token, and the session's access tokens, are dead.
    expect((await refresh(t.url, live.refreshToken).expect(401)).body.code).toBe('session_revoked');
    expect((await me(t.url, live.accessToken).expect(401)).body.code).toBe('session_revoked');
    expect((await me(t.url, tokens.accessToken).expect(401)).body.code).toBe('session_revoked');

    const fresh = await login(t.url, {
      email: tokens.user.email,
      password: 'Correct-Horse-Battery-9',
    });
    const events = await request(t.url)
      .get('/users/me/security-events')
      .set('Authorization', `Bearer ${fresh.accessToken}`)
      .expect(200);
    expect(events.body).toContainEqual(
      expect.objectContaining({ type: 'refresh_token_reused', sessionId: tokens.sessionId }),
    );
  });
});

describe('refresh: idle and absolute lifetimes', () => {
  it('idle expiry: a token unused for REFRESH_TOKEN_TTL is refused as expired', async () => {
    const t = await createTestApp({ env: { REFRESH_TOKEN_TTL: '3s', SESSION_MAX_AGE: '1h' } });
    try {
      const { tokens } = await registerUser(t.url);
      const exp = decodeJwt(tokens.refreshToken).payload;
      expect((exp.exp as number) - (exp.iat as number)).toBe(3);
      // Refreshing inside the idle window keeps the session going.
      await sleep(1_000);
      const live = (await refresh(t.url, tokens.refreshToken).expect(200)).body as TokenResponse;
      await sleep(4_100);
      expect((await refresh(t.url, live.refreshToken).expect(401)).body.code).toBe(
        'refresh_token_expired',
      );
    } finally {
      await t.close();
    }
  });

  it('absolute expiry: no token outlives SESSION_MAX_AGE, and then the session is expired', async () => {
    const t = await createTestApp({ env: { REFRESH_TOKEN_TTL: '1h', SESSION_MAX_AGE: '4s' } });
    try {
      const { tokens } = await registerUser(t.url);
      const first = decodeJwt(tokens.refreshToken).payload;
      expect((first.exp as number) - (first.iat as number)).toBeLessThanOrEqual(4);
      await sleep(1_100);
      const rotated = (await refresh(t.url, tokens.refreshToken).expect(200)).body as TokenResponse;
      // The successor's exp is the session's absolute end, not now + 1h.
      expect(decodeJwt(rotated.refreshToken).payload.exp).toBe(first.exp);
      expect(rotated.refreshTokenExpiresAt).toBe(tokens.refreshTokenExpiresAt);
      await sleep(3_500);
      expect((await refresh(t.url, rotated.refreshToken).expect(401)).body.code).toBe(
        'session_expired',
      );
      // The access token ended with the session too.
      const sessions = await request(t.url)
        .get('/sessions')
        .set('Authorization', `Bearer ${rotated.accessToken}`)
        .expect(401);
      expect(sessions.body.code).toBe('access_token_expired');
    } finally {
      await t.close();
    }
  });
});
