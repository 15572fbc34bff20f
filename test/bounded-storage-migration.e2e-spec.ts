import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { decodeJwt, refresh, registerUser, TokenResponse } from './factories/users';
import { createTestApp } from './support/test-app';
import { queryRows } from './support/test-database';

/**
 * The migration to storage bounded per session moves sessions kept as a row per refresh token
 * over without signing anyone out: the live token still refreshes, its predecessor keeps its grace
 * window, and an older token is still reuse.
 */
describe('migration to bounded session storage', () => {
  it('keeps every session of the earlier schema working, with its grace window and reuse detection', async () => {
    const first = await createTestApp();
    const { tokens } = await registerUser(first.url);
    const t1 = (await refresh(first.url, tokens.refreshToken).expect(200)).body as TokenResponse;
    const t2 = (await refresh(first.url, t1.refreshToken).expect(200)).body as TokenResponse;
    await first.stop();
    const url = first.databaseUrl;
    const [t0Claims, t1Claims, t2Claims] = [tokens, t1, t2].map(
      (issued) =>
        decodeJwt(issued.refreshToken).payload as { jti: string; iat: number; exp: number },
    );

    // Back to the earlier schema, holding the chain as it kept it: a row per token, each used one
    // naming its successor; the live token's predecessor used when the live one was issued.
    const dataSource = await new DataSource(dataSourceOptions(url)).initialize();
    try {
      // Undone with every migration after it (the service reapplies them all at start).
      const applied = () =>
        dataSource.query(
          `SELECT name FROM migrations WHERE name = 'BoundedSessionStorage1796553000000'`,
        );
      while ((await applied()).length > 0) await dataSource.undoLastMigration();
      const pending = await applied();
      expect(pending).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
    const at = (seconds: number, ms = 0) => new Date(seconds * 1000 + ms);
    await queryRows(
      url,
      `INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, issued_at, expires_at,
                                   used_at, successor_id)
       VALUES ($2, $1, '\\x00', NULL, $3, $4, $5, $6),
              ($6, $1, '\\x00', $2, $5, $7, $8, $9),
              ($9, $1, '\\x00', $6, $8, $10, NULL, NULL)`,
      [
        tokens.sessionId,
        t0Claims.jti,
        at(t0Claims.iat),
        at(t0Claims.exp),
        at(t1Claims.iat, 250),
        t1Claims.jti,
        at(t1Claims.exp),
        at(t2Claims.iat, 400),
        t2Claims.jti,
        at(t2Claims.exp),
      ],
    );

    // The service migrates at start.
    const second = await createTestApp({
      databaseUrl: url,
      env: { REFRESH_REUSE_GRACE: '1m' },
    });
    try {
      expect(await queryRows(url, `SELECT to_regclass('refresh_tokens') IS NULL AS gone`)).toEqual([
        { gone: true },
      ]);
      expect(
        await queryRows(
          url,
          `SELECT current_token_id, previous_token_id, current_issued_at FROM sessions WHERE id = $1`,
          [tokens.sessionId],
        ),
      ).toEqual([
        {
          current_token_id: t2Claims.jti,
          previous_token_id: t1Claims.jti,
          current_issued_at: at(t2Claims.iat, 400),
        },
      ]);
      // The predecessor inside its grace window: the very same live token again.
      const replayed = await refresh(second.url, t1.refreshToken).expect(200);
      expect(replayed.body.refreshToken).toBe(t2.refreshToken);
      // Nobody is signed out: the live token rotates.
      const t3 = (await refresh(second.url, t2.refreshToken).expect(200)).body as TokenResponse;
      // The first token of the chain is reuse, and revokes the session.
      const reused = await refresh(second.url, tokens.refreshToken).expect(401);
      expect(reused.body.code).toBe('refresh_token_reused');
      expect((await refresh(second.url, t3.refreshToken).expect(401)).body.code).toBe(
        'session_revoked',
      );
    } finally {
      await second.close();
    }
  });
});
