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
    // The session names the successor as its live token and the presented one as its predecessor.
    const [row] = await liveTokens(t, tokens.sessionId);
    expect(row).toEqual({
      current_token_id: decodeJwt(rotated.refreshToken).payload.jti,
      previous_token_id: decodeJwt(tokens.refreshToken).payload.jti,
    });
  });

  it('stores no refresh token, nor any hash of one: the session keeps token ids only', async () => {
    const { tokens } = await registerUser(t.url);
    const rotated = (await refresh(t.url, tokens.refreshToken).expect(200)).body as TokenResponse;
    const dump = JSON.stringify(
      await queryRows(t.databaseUrl, 'SELECT * FROM sessions WHERE id = $1', [tokens.sessionId]),
    );
    for (const token of [tokens.refreshToken, rotated.refreshToken]) {
      expect(dump).not.toContain(token.split('.')[2]);
    }
    expect(await tablesWithRowsOf(t, tokens.sessionId)).toEqual({ sessions: 1 });
  });

  it('after 1,000 refreshes a session holds the rows and bytes it held after one, and its first token is still reuse', async () => {
    const { tokens } = await registerUser(t.url);
    let current = (await refresh(t.url, tokens.refreshToken).expect(200)).body as TokenResponse;
    const afterOne = await storageOf(t, tokens.sessionId);
    for (let i = 1; i < 1_000; i++) {
      current = (await refresh(t.url, current.refreshToken).expect(200)).body as TokenResponse;
    }
    expect(await storageOf(t, tokens.sessionId)).toEqual(afterOne);
    // The first token of the chain, 1,000 rotations ago: reuse, and the whole session goes.
    const reused = await refresh(t.url, tokens.refreshToken).expect(401);
    expect(reused.body.code).toBe('refresh_token_reused');
    expect((await refresh(t.url, current.refreshToken).expect(401)).body.code).toBe(
      'session_revoked',
    );
    await me(t.url, current.accessToken).expect(401);
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
    // One rotation happened: the successor is live, the presented token its predecessor.
    expect(await liveTokens(t, tokens.sessionId)).toEqual([
      {
        current_token_id: [...successors][0],
        previous_token_id: decodeJwt(tokens.refreshToken).payload.jti,
      },
    ]);
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

  it('refuses a token whose session is gone (deleted by housekeeping) as invalid', async () => {
    const { tokens } = await registerUser(t.url);
    await queryRows(t.databaseUrl, 'DELETE FROM sessions WHERE id = $1', [tokens.sessionId]);
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

function liveTokens(t: TestApp, sessionId: string) {
  return queryRows<{ current_token_id: string; previous_token_id: string | null }>(
    t.databaseUrl,
    'SELECT current_token_id, previous_token_id FROM sessions WHERE id = $1',
    [sessionId],
  );
}

/** Rows naming the session, in every table of the schema that has a `session_id` (or is `sessions`). */
async function tablesWithRowsOf(t: TestApp, sessionId: string): Promise<Record<string, number>> {
  const tables = await queryRows<{ table_name: string }>(
    t.databaseUrl,
    `SELECT table_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_name = 'session_id'
      ORDER BY table_name`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name: table } of [...tables, { table_name: 'sessions' }]) {
    const column = table === 'sessions' ? 'id' : 'session_id';
    const [{ count }] = await queryRows<{ count: string }>(
      t.databaseUrl,
      `SELECT count(*) FROM "${table}" WHERE ${column} = $1`,
      [sessionId],
    );
    if (Number(count) > 0) counts[table] = Number(count);
  }
  return counts;
}

/** What the database holds for a session: its rows in every table, and the session row's bytes. */
async function storageOf(t: TestApp, sessionId: string) {
  const [{ bytes }] = await queryRows<{ bytes: number }>(
    t.databaseUrl,
    'SELECT pg_column_size(s.*) AS bytes FROM sessions s WHERE id = $1',
    [sessionId],
  );
  return { rows: await tablesWithRowsOf(t, sessionId), bytes };
}
