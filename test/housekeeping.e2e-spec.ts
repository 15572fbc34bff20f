import { randomUUID } from 'node:crypto';
import { registerUser, sleep } from './factories/users';
import { createTestApp, jsonLogs } from './support/test-app';
import { queryRows } from './support/test-database';

const DAY = 86_400_000;

describe('housekeeping', () => {
  it('deletes sessions (and their tokens) ended over 30 days ago, and events over 90 days old', async () => {
    const first = await createTestApp();
    const { tokens } = await registerUser(first.url);
    const userId = tokens.user.id;
    const ago = (days: number) => new Date(Date.now() - days * DAY);
    const session = async (fields: { revokedAt?: Date; expiresAt: Date; absolute: Date }) => {
      const id = randomUUID();
      await queryRows(
        first.databaseUrl,
        `INSERT INTO sessions (id, user_id, created_at, last_used_at, auth_time, expires_at, absolute_expires_at, revoked_at)
         VALUES ($1, $2, $3, $3, $3, $4, $5, $6)`,
        [id, userId, ago(60), fields.expiresAt, fields.absolute, fields.revokedAt ?? null],
      );
      await queryRows(
        first.databaseUrl,
        `INSERT INTO refresh_tokens (id, session_id, token_hash, issued_at, expires_at)
         VALUES ($1, $2, '\\x00', $3, $4)`,
        [randomUUID(), id, ago(60), fields.expiresAt],
      );
      return id;
    };
    const revokedLongAgo = await session({
      revokedAt: ago(31),
      expiresAt: ago(20),
      absolute: ago(1),
    });
    const idleLongAgo = await session({ expiresAt: ago(31), absolute: ago(-1) });
    const revokedRecently = await session({
      revokedAt: ago(29),
      expiresAt: ago(-5),
      absolute: ago(-5),
    });
    await queryRows(
      first.databaseUrl,
      `INSERT INTO security_events (user_id, type, at) VALUES ($1, 'login', $2), ($1, 'login', $3)`,
      [userId, ago(91), ago(89)],
    );
    await first.stop();

    // A new instance on the same database runs the job at start.
    const second = await createTestApp({ databaseUrl: first.databaseUrl });
    try {
      await sleep(500);
      const sessions = await queryRows<{ id: string }>(
        second.databaseUrl,
        'SELECT id FROM sessions',
      );
      const ids = sessions.map((row) => row.id);
      expect(ids).toEqual(expect.arrayContaining([tokens.sessionId, revokedRecently]));
      expect(ids).not.toContain(revokedLongAgo);
      expect(ids).not.toContain(idleLongAgo);
      const orphans = await queryRows(
        second.databaseUrl,
        'SELECT id FROM refresh_tokens WHERE session_id = ANY($1)',
        [[revokedLongAgo, idleLongAgo]],
      );
      expect(orphans).toHaveLength(0);
      const events = await queryRows<{ at: Date }>(
        second.databaseUrl,
        `SELECT at FROM security_events WHERE user_id = $1 AND at < now() - interval '80 days'`,
        [userId],
      );
      expect(events).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('deletes lockout counters whose window has closed and revocation events past their until, in batches', async () => {
    const first = await createTestApp();
    await first.stop();
    // More closed windows than one batch deletes, and a few still open.
    await queryRows(
      first.databaseUrl,
      `INSERT INTO login_failures (key, count, window_ends_at)
       SELECT sha256(int4send(n)), 3, now() - interval '1 minute' FROM generate_series(1, 2500) n
       UNION ALL
       SELECT sha256(int4send(-n)), 1, now() + interval '1 hour' FROM generate_series(1, 3) n`,
    );
    await queryRows(
      first.databaseUrl,
      `INSERT INTO session_revocations (seq, kind, session_id, revoked_at, until)
       SELECT nextval('session_revocations_seq'), 'revoked', gen_random_uuid(),
              now() - interval '20 minutes', now() - interval '1 minute' FROM generate_series(1, 1500)
       UNION ALL
       SELECT nextval('session_revocations_seq'), 'revoked', gen_random_uuid(),
              now(), now() + interval '15 minutes' FROM generate_series(1, 2)`,
    );

    const second = await createTestApp({ databaseUrl: first.databaseUrl });
    try {
      const done = () => jsonLogs(second).find((line) => line.msg === 'Housekeeping done');
      const deadline = Date.now() + 30_000;
      while (!done()) {
        expect(Date.now()).toBeLessThan(deadline);
        await sleep(100);
      }
      expect(done()).toMatchObject({ loginFailures: 2500, revocations: 1500 });
      const counts = await queryRows(
        second.databaseUrl,
        `SELECT count(*) FILTER (WHERE window_ends_at > now())::int AS open,
                count(*) FILTER (WHERE window_ends_at <= now())::int AS closed
           FROM login_failures`,
      );
      expect(counts).toEqual([{ open: 3, closed: 0 }]);
      const log = await queryRows(
        second.databaseUrl,
        `SELECT count(*)::int AS alive FROM session_revocations WHERE until > now()`,
      );
      expect(log).toEqual([{ alive: 2 }]);
      expect(await queryRows(second.databaseUrl, `SELECT 1 FROM session_revocations`)).toHaveLength(
        2,
      );
    } finally {
      await second.close();
    }
  });
});
