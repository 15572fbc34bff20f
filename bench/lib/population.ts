/**
 * A database that has been in use for a while, seeded in SQL (`--scale=N`): N live sessions and
 * N ended ones (revoked, or idle past their end, more than 30 days ago, so that housekeeping deletes
 * them), three of each per user, with the users and the security events that history leaves. Rows
 * are made by `INSERT … SELECT … FROM generate_series` in statements of at most CHUNK rows: a
 * million sessions take minutes, not the hours sign-ins through argon2id would.
 *
 * Written for the schema where `sessions` holds the token state (no `refresh_tokens` table).
 */
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import { ARGON2_OPTIONS } from '@session-service/nestjs/internal';

/** Rows per INSERT statement (users; sessions, live and ended together): fast, yet short. */
export const CHUNK = 100_000;
/** Sessions of each kind (live, ended) per seeded user. */
export const SESSIONS_PER_USER = 3;
/** The tables whose size the report divides by the live sessions. */
export const SIZED_TABLES = [
  'sessions',
  'users',
  'security_events',
  'session_revocations',
  'login_failures',
] as const;

/**
 * The condition housekeeping deletes sessions on: ended (idle end or revocation) on a day before
 * the cutoff's, through the index on `ended_on` (see DELETE_ENDED_SESSIONS).
 */
export const ENDED_BEFORE = (cutoff: string) => `ended_on < ((${cutoff}) AT TIME ZONE 'UTC')::date`;
/** Ended more than 30 days ago: housekeeping's retention (ENDED_SESSION_RETENTION_MS). */
export const HOUSEKEEPING_CUTOFF = `now() - interval '30 days'`;
/** Live: neither revoked nor past its idle or absolute end (`alias` is the table's, with its dot). */
const LIVE = (alias = '') =>
  `${alias}revoked_at IS NULL AND ${alias}expires_at > now() AND ${alias}absolute_expires_at > now()`;

/** A few clients as they appear in `user_agent`: the lengths and the variety of real traffic. */
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'okhttp/4.12.0',
];

/** What one seeding made, and how long it took. */
export interface Population {
  users: number;
  liveSessions: number;
  endedSessions: number;
  securityEvents: number;
  loginFailures: number;
  seconds: number;
}

/** One table's share of the database. */
export interface TableSize {
  table: string;
  rows: number;
  /** pg_relation_size: the table's main fork. */
  tableBytes: number;
  /** pg_indexes_size: all its indexes. */
  indexBytes: number;
  /** pg_total_relation_size: table, indexes, TOAST and the other forks. */
  totalBytes: number;
}

/** The database's schema is not the one the seeding writes. */
export class OldSchemaError extends Error {}

/** Stops unless `sessions` holds the token state: the seeding writes that schema's columns. */
export async function requireSessionTokenSchema(client: Client): Promise<void> {
  const { rows } = await client.query<{ old: boolean }>(
    `SELECT to_regclass('refresh_tokens') IS NOT NULL AS old`,
  );
  if (rows[0].old) {
    throw new OldSchemaError(
      'the schema is old (a refresh_tokens table exists); the seeding writes the schema where ' +
        'sessions hold the token state (current_token_id, previous_token_id, current_issued_at)',
    );
  }
  const needed = ['current_token_id', 'previous_token_id', 'current_issued_at', 'auth_time'];
  const { rows: columns } = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'sessions'`,
  );
  const missing = needed.filter((name) => !columns.some((c) => c.column_name === name));
  if (missing.length) throw new OldSchemaError(`sessions has no ${missing.join(', ')}`);
}

/**
 * Seeds `users` users (ids and emails derived from `tag`, unique per call) and `sessions` live
 * sessions spread over them `perUser` at a time, each with an ended twin when `withEnded` (the two
 * alternate row by row, so that ended sessions lie scattered over the table as they do after a
 * while in use, not in a block housekeeping would find together); one `login` security event per
 * session (as sign-in records it), a `registered` one per user and a `session_revoked` one per
 * revoked session, and a lockout counter for one user in twenty. Then VACUUM (ANALYZE) and a
 * CHECKPOINT: a database in use has its tables vacuumed and its pages written, and without them
 * autovacuum and the checkpointer would work through millions of fresh rows while the scenarios
 * run, on the same two cores.
 */
export async function seedPopulation(
  client: Client,
  shape: { tag: string; users: number; sessions: number; withEnded: boolean; perUser: number },
  log: (message: string) => void,
): Promise<Population> {
  const started = performance.now();
  await client.query('SET synchronous_commit = off');
  // Every row references a user this seeding made first: the foreign keys' per-row triggers would
  // only confirm it, and take half the time. Only a superuser may skip them; others wait.
  await client.query('SET session_replication_role = replica').catch(() => undefined);
  const population: Population = {
    users: 0,
    liveSessions: 0,
    endedSessions: 0,
    securityEvents: 0,
    loginFailures: 0,
    seconds: 0,
  };
  const passwordHash = await placeholderHash();
  for (const [from, to] of chunks(shape.users, CHUNK)) {
    const users = await client.query(INSERT_USERS, [shape.tag, from, to, passwordHash]);
    population.users += users.rowCount ?? 0;
    const failures = await client.query(INSERT_LOGIN_FAILURES, [shape.tag, from, to]);
    population.loginFailures += failures.rowCount ?? 0;
  }
  population.securityEvents += population.users;
  const perStatement = shape.withEnded ? CHUNK / 2 : CHUNK;
  for (const [from, to] of chunks(shape.sessions, perStatement)) {
    const { rows } = await client.query<{ live: number; ended: number; events: number }>(
      INSERT_SESSIONS,
      [shape.tag, from, to, shape.perUser, USER_AGENTS, shape.withEnded],
    );
    population.liveSessions += rows[0].live;
    population.endedSessions += rows[0].ended;
    population.securityEvents += rows[0].events;
    log(
      `  sessions: ${to} of ${shape.sessions}${shape.withEnded ? ', and their ended twins' : ''}`,
    );
  }
  await client.query('RESET synchronous_commit');
  await client.query('RESET session_replication_role').catch(() => undefined);
  await client.query(`VACUUM (ANALYZE) ${SIZED_TABLES.join(', ')}`);
  // The seeding dirtied gigabytes of pages: written back now, not by the checkpointer and its I/O
  // workers while the scenarios run (that took 0.7 of a core for minutes). A superuser's right.
  await client.query('CHECKPOINT').catch(() => undefined);
  population.seconds = (performance.now() - started) / 1000;
  return population;
}

/** [from, to) ranges of at most `size`. */
function chunks(count: number, size: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let from = 0; from < count; from += size) ranges.push([from, Math.min(count, from + size)]);
  return ranges;
}

/**
 * An argon2id hash of a random password with the service's parameters, the same for every seeded
 * user: the column's real length. Nobody signs in as a seeded user.
 */
function placeholderHash(): Promise<string> {
  return argon2.hash(randomBytes(24).toString('base64url'), ARGON2_OPTIONS);
}

/** A user's id from the tag and its number: random-looking, as gen_random_uuid() ids are. */
const USER_ID = (n: string) => `md5($1 || ':user:' || ${n})::uuid`;

/** $1 tag, $2 from, $3 to, $4 password hash. Registered 60 to 89 days ago. */
const INSERT_USERS = `
  WITH u AS (
    INSERT INTO users (id, email, password_hash, display_name, roles, created_at, updated_at)
    SELECT ${USER_ID('n')}, $1 || '-' || n || '@example.com', $4,
           CASE WHEN n % 3 = 0 THEN NULL ELSE 'Seeded user ' || n END, '{user}', at, at
      FROM generate_series($2::int, $3::int - 1) AS n,
           LATERAL (SELECT now() - interval '60 days' - random() * interval '29 days' AS at) t
    RETURNING id, created_at
  )
  INSERT INTO security_events (user_id, type, at, ip, user_agent)
  SELECT id, 'registered', created_at, '198.51.100.7', 'okhttp/4.12.0' FROM u`;

/** $1 tag, $2 from, $3 to: a counter of recent failures for one user in twenty. */
const INSERT_LOGIN_FAILURES = `
  INSERT INTO login_failures (key, count, window_ends_at)
  SELECT sha256(convert_to($1 || ':failures:' || n, 'UTF8')), 1 + n % 4,
         now() + random() * interval '15 minutes'
    FROM generate_series($2::int, $3::int - 1) AS n
   WHERE n % 20 = 0`;

/** The client of session n: its user agent and address. */
const CLIENT = `($5::text[])[1 + n % array_length($5::text[], 1)],
  CASE WHEN n % 4 = 0 THEN '2001:db8::' || to_hex(n % 65536) ELSE '203.0.113.' || n % 250 END`;

/**
 * $1 tag, $2 from, $3 to, $4 sessions per user, $5 user agents, $6 with the ended twins. Row m is
 * session n = m / 2, live when m is even, ended when odd (odd rows only with $6), in that order.
 *
 * Live: begun in the last 20 days, used in the last 6 (its idle end 7 days after), rotated at
 * least once but for one in ten; one in ten not persistent. Ended, 31 to 56 days ago: every other
 * one signed out (revoked), the rest left idle until their refresh token expired. Each session's
 * `login` event comes with it, and a revoked one's `session_revoked`.
 */
const INSERT_SESSIONS = `
  WITH s AS (
    INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, absolute_expires_at,
                          auth_time, revoked_at, revoked_reason, current_token_id,
                          previous_token_id, current_issued_at, user_agent, ip, persistent)
    SELECT md5($1 || CASE WHEN ended THEN ':ended:' ELSE ':live:' END || n)::uuid,
           ${USER_ID('(n / $4::int)')}, created, used,
           CASE WHEN ended AND NOT revoked THEN ended_at
                ELSE least(used + interval '7 days', created + interval '30 days') END,
           created + interval '30 days', created,
           CASE WHEN revoked THEN ended_at END, CASE WHEN revoked THEN 'logout' END,
           gen_random_uuid(),
           CASE WHEN n % 10 = 0 AND NOT ended THEN NULL ELSE gen_random_uuid() END,
           used, ${CLIENT}, ended OR n % 10 <> 0
      FROM generate_series(2 * $2::int, 2 * $3::int - 1) AS m,
           LATERAL (SELECT m / 2 AS n, m % 2 = 1 AS ended) k,
           LATERAL (SELECT ended AND n % 2 = 0 AS revoked,
                           now() - interval '31 days' - random() * interval '25 days' AS ended_at) e,
           LATERAL (SELECT CASE WHEN ended
                                THEN ended_at - interval '7 days' - random() * interval '4 days'
                                ELSE now() - random() * interval '20 days' END AS created) c,
           LATERAL (SELECT CASE WHEN revoked THEN ended_at
                                WHEN ended THEN ended_at - interval '7 days'
                                ELSE greatest(created, now() - random() * interval '6 days')
                                END AS used) u
     WHERE $6::boolean OR NOT ended
    RETURNING id, user_id, created_at, expires_at, revoked_at, user_agent, ip
  ), e AS (
    INSERT INTO security_events (user_id, type, at, session_id, ip, user_agent)
    SELECT user_id, 'login', created_at, id, ip, user_agent FROM s
    UNION ALL
    SELECT user_id, 'session_revoked', revoked_at, id, ip, user_agent FROM s
     WHERE revoked_at IS NOT NULL
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM s WHERE revoked_at IS NULL AND expires_at > now())::int AS live,
         (SELECT count(*) FROM s WHERE revoked_at IS NOT NULL OR expires_at <= now())::int AS ended,
         (SELECT count(*) FROM e)::int AS events`;

/** Live sessions in the database, and how many distinct users they belong to. */
export async function countLive(client: Client): Promise<{ sessions: number; users: number }> {
  const { rows } = await client.query<{ sessions: number; users: number }>(
    `SELECT count(*)::int AS sessions, count(DISTINCT user_id)::int AS users
       FROM sessions WHERE ${LIVE()}`,
  );
  return rows[0];
}

/** Sessions housekeeping would delete now. */
export async function countEnded(client: Client): Promise<number> {
  const { rows } = await client.query<{ ended: number }>(
    `SELECT count(*)::int AS ended FROM sessions WHERE ${ENDED_BEFORE(HOUSEKEEPING_CUTOFF)}`,
  );
  return rows[0].ended;
}

/** The size of each of SIZED_TABLES, after ANALYZE (row counts are the planner's estimates). */
export async function tableSizes(client: Client): Promise<TableSize[]> {
  const { rows } = await client.query<{
    table: string;
    rows: string;
    table_bytes: string;
    index_bytes: string;
    total_bytes: string;
  }>(
    `SELECT t AS table, greatest(c.reltuples, 0)::bigint AS rows,
            pg_relation_size(c.oid) AS table_bytes, pg_indexes_size(c.oid) AS index_bytes,
            pg_total_relation_size(c.oid) AS total_bytes
       FROM unnest($1::text[]) WITH ORDINALITY AS n (t, i)
       JOIN pg_class c ON c.oid = to_regclass(t)
      ORDER BY i`,
    [SIZED_TABLES],
  );
  return rows.map((row) => ({
    table: row.table,
    rows: Number(row.rows),
    tableBytes: Number(row.table_bytes),
    indexBytes: Number(row.index_bytes),
    totalBytes: Number(row.total_bytes),
  }));
}

/** A live session to mint an access token for: one per user. */
export interface LiveSession {
  sessionId: string;
  userId: string;
  roles: string[];
  /** Seconds since the epoch. */
  authTime: number;
  absoluteEnd: number;
}

/** `count` live sessions of distinct users, each user's newest. */
export async function liveSessionsOfDistinctUsers(
  client: Client,
  count: number,
): Promise<LiveSession[]> {
  const { rows } = await client.query<{
    id: string;
    user_id: string;
    roles: string[];
    auth_time: string;
    absolute_end: string;
  }>(
    `SELECT DISTINCT ON (s.user_id) s.id, s.user_id, u.roles,
            floor(extract(epoch FROM s.auth_time))::bigint AS auth_time,
            floor(extract(epoch FROM s.absolute_expires_at))::bigint AS absolute_end
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE ${LIVE('s.')}
      ORDER BY s.user_id, s.created_at DESC
      LIMIT $1`,
    [count],
  );
  return rows.map((row) => ({
    sessionId: row.id,
    userId: row.user_id,
    roles: row.roles,
    authTime: Number(row.auth_time),
    absoluteEnd: Number(row.absolute_end),
  }));
}
