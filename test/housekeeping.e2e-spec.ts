import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { registerUser, sleep } from './factories/users';
import { createTestApp, jsonLogs, TestApp } from './support/test-app';
import { queryRows } from './support/test-database';

const DAY = 86_400_000;

describe('housekeeping', () => {
  it('deletes sessions ended over 30 days ago, and events over 90 days old', async () => {
    const first = await createTestApp();
    const { tokens } = await registerUser(first.url);
    const userId = tokens.user.id;
    const ago = (days: number) => new Date(Date.now() - days * DAY);
    const session = async (fields: { revokedAt?: Date; expiresAt: Date; absolute: Date }) => {
      const id = randomUUID();
      await queryRows(
        first.databaseUrl,
        `INSERT INTO sessions (id, user_id, created_at, last_used_at, auth_time, expires_at,
                               absolute_expires_at, revoked_at, current_token_id, current_issued_at)
         VALUES ($1, $2, $3, $3, $3, $4, $5, $6, $7, $3)`,
        [
          id,
          userId,
          ago(60),
          fields.expiresAt,
          fields.absolute,
          fields.revokedAt ?? null,
          randomUUID(),
        ],
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
      await housekeepingDone(second);
      const sessions = await queryRows<{ id: string }>(
        second.databaseUrl,
        'SELECT id FROM sessions',
      );
      const ids = sessions.map((row) => row.id);
      expect(ids).toEqual(expect.arrayContaining([tokens.sessionId, revokedRecently]));
      expect(ids).not.toContain(revokedLongAgo);
      expect(ids).not.toContain(idleLongAgo);
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

  it('finishes an account deletion that stopped after the account was closed, never waiting for a held one', async () => {
    const first = await createTestApp();
    const interrupted = await registerUser(first.url);
    const justClosed = await registerUser(first.url);
    const held = await registerUser(first.url);
    await first.stop();
    const ids = [interrupted, justClosed, held].map((user) => user.tokens.user.id);
    // Closed as DELETE /users/me closes it (hash emptied, sessions revoked), never deleted: the
    // process stopped in between. One was closed a moment ago: its deletion is under way.
    await queryRows(
      first.databaseUrl,
      `UPDATE users SET password_hash = '',
              updated_at = now() - CASE WHEN id = $2 THEN interval '5 seconds' ELSE interval '11 minutes' END
        WHERE id = ANY ($1::uuid[])`,
      [ids, justClosed.tokens.user.id],
    );
    await queryRows(
      first.databaseUrl,
      `UPDATE sessions SET revoked_at = now(), revoked_reason = 'account_deleted'
        WHERE user_id = ANY ($1::uuid[])`,
      [ids],
    );
    // A transaction holds the third interrupted deletion's account.
    const holder = new Client({ connectionString: first.databaseUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [held.tokens.user.id]);

    const second = await createTestApp({ databaseUrl: first.databaseUrl });
    try {
      const done = await housekeepingDone(second);
      expect(done).toMatchObject({ closedAccounts: 1 });
      const left = await queryRows<{ id: string }>(
        second.databaseUrl,
        'SELECT id FROM users WHERE id = ANY ($1::uuid[]) ORDER BY id',
        [ids],
      );
      expect(left.map((row) => row.id)).toEqual(
        [justClosed.tokens.user.id, held.tokens.user.id].sort(),
      );
      // The email is free again, and nothing of the old account remains.
      const again = await registerUser(second.url, { email: interrupted.email });
      expect(again.tokens.user.id).not.toBe(interrupted.tokens.user.id);
      const sessions = await queryRows(
        second.databaseUrl,
        'SELECT 1 FROM sessions WHERE user_id = $1',
        [interrupted.tokens.user.id],
      );
      expect(sessions).toEqual([]);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
      await second.close();
    }
  });

  it('deletes lockout counters whose window has closed and revocation events past their until, in batches, never waiting for a held counter', async () => {
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

    // A transaction holds one closed counter, as a failed sign-in reopening it would.
    const holder = new Client({ connectionString: first.databaseUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM login_failures WHERE key = sha256(int4send(1)) FOR UPDATE');

    const second = await createTestApp({ databaseUrl: first.databaseUrl });
    try {
      const done = await housekeepingDone(second);
      expect(done).toMatchObject({ loginFailures: 2499, revocations: 1500 });
      const counts = await queryRows(
        second.databaseUrl,
        `SELECT count(*) FILTER (WHERE window_ends_at > now())::int AS open,
                count(*) FILTER (WHERE window_ends_at <= now())::int AS closed
           FROM login_failures`,
      );
      expect(counts).toEqual([{ open: 3, closed: 1 }]);
      const log = await queryRows(
        second.databaseUrl,
        `SELECT count(*)::int AS alive FROM session_revocations WHERE until > now()`,
      );
      expect(log).toEqual([{ alive: 2 }]);
      expect(await queryRows(second.databaseUrl, `SELECT 1 FROM session_revocations`)).toHaveLength(
        2,
      );
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
      await second.close();
    }
  });

  it('deletes ended sessions and old events in batches, two instances at once, never waiting for a held session', async () => {
    const first = await createTestApp();
    const { tokens } = await registerUser(first.url);
    await first.stop();
    const url = first.databaseUrl;
    // 2,500 sessions ended long ago (idle, revoked, past their absolute end), 3 live ones, and
    // 12,000 events past their retention: several batches of each.
    await queryRows(
      url,
      `INSERT INTO sessions (id, user_id, created_at, last_used_at, auth_time, expires_at,
                             absolute_expires_at, revoked_at, current_token_id, current_issued_at)
       SELECT gen_random_uuid(), $1, now() - interval '90 days', now() - interval '90 days',
              now() - interval '90 days',
              CASE WHEN n % 3 = 0 THEN now() - interval '31 days' ELSE now() + interval '1 day' END,
              CASE WHEN n % 3 = 1 THEN now() - interval '40 days' ELSE now() + interval '1 day' END,
              CASE WHEN n % 3 = 2 THEN now() - interval '31 days' END,
              gen_random_uuid(), now() - interval '90 days'
         FROM generate_series(1, 2500) n`,
      [tokens.user.id],
    );
    // (An absolute end in the past always comes with an idle end no later than it.)
    await queryRows(
      url,
      `UPDATE sessions SET expires_at = absolute_expires_at WHERE absolute_expires_at < expires_at`,
    );
    await queryRows(
      url,
      `INSERT INTO security_events (user_id, type, at)
       SELECT $1, 'login', now() - interval '100 days' FROM generate_series(1, 12000)`,
      [tokens.user.id],
    );
    const [held] = await queryRows<{ id: string }>(
      url,
      `SELECT id FROM sessions WHERE revoked_at IS NOT NULL LIMIT 1`,
    );
    // A transaction holds one ended session, as a refresh or a revocation would.
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE', [held.id]);

      const [a, b] = await Promise.all([
        createTestApp({ databaseUrl: url }),
        createTestApp({ databaseUrl: url }),
      ]);
      try {
        const ended = async () =>
          (
            await queryRows<{ id: string }>(
              url,
              `SELECT id FROM sessions WHERE expires_at < now() - interval '30 days'
                  OR revoked_at < now() - interval '30 days'`,
            )
          ).map((row) => row.id);
        const oldEvents = async () =>
          (
            await queryRows<{ old: number }>(
              url,
              `SELECT count(*)::int AS old FROM security_events WHERE at < now() - interval '90 days'`,
            )
          )[0].old;
        // Batch after batch, resting between two: well under a minute for these.
        const deadline = Date.now() + 60_000;
        while ((await ended()).length > 1 || (await oldEvents()) > 0) {
          expect(Date.now()).toBeLessThan(deadline);
          await sleep(100);
        }
        // Done while the transaction still holds its session: housekeeping skipped it.
        expect(await ended()).toEqual([held.id]);
        expect(await oldEvents()).toBe(0);
        const live = await queryRows(url, 'SELECT id FROM sessions WHERE expires_at > now()');
        expect(live.map((row) => row.id)).toContain(tokens.sessionId);
        for (const app of [a, b]) {
          expect(
            jsonLogs(app).filter(
              (line) => line.msg === 'Housekeeping failed; next hour will retry',
            ),
          ).toEqual([]);
        }
        const deleted = [a, b]
          .flatMap((app) => jsonLogs(app))
          .filter((line) => line.msg === 'Housekeeping done')
          .reduce((sum, line) => sum + Number(line.sessions), 0);
        expect(deleted).toBeLessThanOrEqual(2499);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });
});

/** The log line of the instance's first housekeeping run that deleted anything, once it is written. */
async function housekeepingDone(app: TestApp): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const done = jsonLogs(app).find((line) => line.msg === 'Housekeeping done');
    if (done) return done;
    expect(Date.now()).toBeLessThan(deadline);
    await sleep(100);
  }
}
