import { Test, TestingModule } from '@nestjs/testing';
import {
  normaliseSessionAuthOptions,
  ResolvedSessionAuthOptions,
  SESSION_AUTH_CORE_ENTITIES,
  SESSION_AUTH_CORE_MIGRATIONS,
  SessionAuthError,
  type SessionAuthUsers,
  SessionsService,
} from '@session-service/nestjs';
import {
  assertSessionAuthSchema,
  RefreshTokens,
  RevocationListener,
  RevocationListenerOptions,
  RevokedSessions,
  SessionsRepository,
  UserRoleChangesRepository,
} from '@session-service/nestjs/internal';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { sleep } from './factories/users';
import { createTestSchema, dropTestSchema, queryRows } from './support/test-database';

/**
 * The library's persistence for an app with its own users, in-process against the real PostgreSQL:
 * the core migrations beside a host table called `users`, sessions for users in no table of ours,
 * and role changes announced through `user_role_changes` to another instance's listener.
 */

const PRIVATE_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const CLIENT = { ip: '203.0.113.7', userAgent: 'own-users-test' };
const GRACE_MS = 1_000;
const PROPAGATION_MS = 1_000;

/** The app's accounts: the persistence never asks them, so they answer nothing. */
const APP_USERS: SessionAuthUsers = {
  verifyCredentials: () => Promise.resolve(null),
  findById: () => Promise.resolve(null),
};

function options(users: SessionAuthUsers | undefined): ResolvedSessionAuthOptions {
  return normaliseSessionAuthOptions({
    issuer: 'https://auth.example.com',
    keys: {
      privateKey: PRIVATE_KEY,
      refreshTokenSecret: 'a-refresh-token-secret-of-32-bytes-or-more',
    },
    refreshReuseGrace: GRACE_MS / 1000,
    revocationPropagation: PROPAGATION_MS / 1000,
    users,
  });
}

function postgres(url: string, migrate: boolean): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: SESSION_AUTH_CORE_ENTITIES,
    migrations: SESSION_AUTH_CORE_MIGRATIONS,
    migrationsRun: migrate,
    logging: false,
  });
}

/** One instance of the library's session providers, as its module provides them, started. */
async function instance(
  dataSource: DataSource,
  url: string,
  resolved: ResolvedSessionAuthOptions,
): Promise<TestingModule> {
  return (await providers(dataSource, url, resolved)).init();
}

/** The same providers, built but not started: no listener connects. */
function providers(
  dataSource: DataSource,
  url: string,
  resolved: ResolvedSessionAuthOptions,
): Promise<TestingModule> {
  return Test.createTestingModule({
    providers: [
      { provide: ResolvedSessionAuthOptions, useValue: resolved },
      { provide: DataSource, useValue: dataSource },
      { provide: RevocationListenerOptions, useValue: { connectionString: url } },
      SessionsService,
      SessionsRepository,
      UserRoleChangesRepository,
      RefreshTokens,
      RevokedSessions,
      RevocationListener,
    ],
  }).compile();
}

function presentedOf(issued: {
  token: string;
  claims: { userId: string; sessionId: string; tokenId: string };
}) {
  return { raw: issued.token, ...issued.claims };
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SessionAuthError) return error.reason;
    throw error;
  }
  throw new Error('expected a SessionAuthError');
}

describe('persistence for an app with its own users', () => {
  let schema: string;
  let url: string;
  let dataSource: DataSource;
  let a: TestingModule;
  let sessions: SessionsService;
  const hostUserId = randomUUID();

  beforeAll(async () => {
    ({ schema, url } = await createTestSchema());
    // The app's own accounts table, in the same schema, before the library's migration runs.
    await queryRows(url, `CREATE TABLE users (id uuid PRIMARY KEY, login text NOT NULL UNIQUE)`);
    await queryRows(url, `INSERT INTO users (id, login) VALUES ($1, 'host-user')`, [hostUserId]);
    dataSource = await postgres(url, true).initialize();
    a = await instance(dataSource, url, options(APP_USERS));
    sessions = a.get(SessionsService);
  });

  afterAll(async () => {
    await a?.close();
    await dataSource?.destroy();
    if (schema) await dropTestSchema(schema);
  });

  it('creates its tables beside a host table called users, which it leaves as it was', async () => {
    const columns = await queryRows<{ column_name: string }>(
      url,
      `SELECT column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'users' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'login']);
    const foreignKeys = await queryRows<{ conname: string; target: string }>(
      url,
      `SELECT conname, confrelid::regclass::text AS target FROM pg_constraint
        WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`,
    );
    // No foreign key at all: none to the host's users, and the library's tables need none.
    expect(foreignKeys).toEqual([]);
    await expect(assertSessionAuthSchema(dataSource, false)).resolves.toBeUndefined();
    // Built-in mode here would take the host's table for its accounts: the check says so.
    await expect(assertSessionAuthSchema(dataSource, true)).rejects.toThrow(
      `SessionAuthModule: table "users" is not the built-in accounts' (no column "password_hash", "roles", "roles_changed_at")`,
    );

    // The host's users, with a session of one of them, still answer as the host made them.
    await sessions.start(hostUserId, null, CLIENT);
    expect(await queryRows(url, `SELECT id, login FROM users`)).toEqual([
      { id: hostUserId, login: 'host-user' },
    ]);
  });

  it('starts a session for a user who is in no table of ours, and records the sign-in', async () => {
    const userId = randomUUID();
    const started = await sessions.start(userId, null, CLIENT, 'login');

    const [row] = await queryRows<{ user_id: string; current_token_id: string; ip: string }>(
      url,
      `SELECT user_id, current_token_id, ip FROM sessions WHERE id = $1`,
      [started.sessionId],
    );
    expect(row).toEqual({
      user_id: userId,
      current_token_id: started.claims.tokenId,
      ip: CLIENT.ip,
    });
    const events = await queryRows<{ type: string; session_id: string }>(
      url,
      `SELECT type, session_id FROM security_events WHERE user_id = $1`,
      [userId],
    );
    expect(events).toEqual([{ type: 'login', session_id: started.sessionId }]);
  });

  it('keeps a user within maxSessionsPerUser under parallel sign-ins, on an advisory lock', async () => {
    const limited = await providers(dataSource, url, {
      ...options(APP_USERS),
      maxSessionsPerUser: 2,
    } as ResolvedSessionAuthOptions);
    try {
      const userId = randomUUID();
      const started = await Promise.all(
        Array.from({ length: 10 }, () => limited.get(SessionsService).start(userId, null, CLIENT)),
      );
      const live = await queryRows<{ id: string }>(
        url,
        `SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`,
        [userId],
      );
      expect(live).toHaveLength(2);
      const evicted = await queryRows<{ session_id: string }>(
        url,
        `SELECT session_id FROM security_events WHERE user_id = $1 AND type = 'session_evicted'`,
        [userId],
      );
      expect(evicted).toHaveLength(8);
      const liveIds = new Set(live.map((row) => row.id));
      expect(new Set(evicted.map((row) => row.session_id))).toEqual(
        new Set(started.map((s) => s.sessionId).filter((id) => !liveIds.has(id))),
      );
    } finally {
      await limited.close();
    }
  });

  it('rotates without a user to join, answering user null', async () => {
    const userId = randomUUID();
    const started = await sessions.start(userId, null, CLIENT);

    const rotated = await sessions.rotate(presentedOf(started), CLIENT);

    expect(rotated.user).toBeNull();
    expect(rotated.sessionId).toBe(started.sessionId);
    expect(rotated.refresh.claims.userId).toBe(userId);
    expect(rotated.refresh.claims.tokenId).not.toBe(started.claims.tokenId);
    const [row] = await queryRows<{ current_token_id: string }>(
      url,
      `SELECT current_token_id FROM sessions WHERE id = $1`,
      [started.sessionId],
    );
    expect(row.current_token_id).toBe(rotated.refresh.claims.tokenId);
    // And the successor rotates in turn (the live-token path once more).
    const next = await sessions.rotate(presentedOf(rotated.refresh), CLIENT);
    expect(next.user).toBeNull();
  });

  it('treats the first token presented again after the grace window as reuse', async () => {
    const userId = randomUUID();
    const started = await sessions.start(userId, null, CLIENT);
    const rotated = await sessions.rotate(presentedOf(started), CLIENT);

    // Within the window: the same successor again (the locked path, still without a user join).
    const replay = await sessions.rotate(presentedOf(started), CLIENT);
    expect(replay.user).toBeNull();
    expect(replay.refresh.claims).toEqual(rotated.refresh.claims);

    await sleep(GRACE_MS + 200);
    expect(await reasonOf(sessions.rotate(presentedOf(started), CLIENT))).toBe(
      'refresh_token_reused',
    );

    const [session] = await queryRows<{ revoked_reason: string | null }>(
      url,
      `SELECT revoked_reason FROM sessions WHERE id = $1`,
      [started.sessionId],
    );
    expect(session.revoked_reason).toBe('refresh_token_reused');
    const events = await queryRows<{ type: string; session_id: string }>(
      url,
      `SELECT type, session_id FROM security_events WHERE user_id = $1`,
      [userId],
    );
    expect(events).toEqual([{ type: 'refresh_token_reused', session_id: started.sessionId }]);
    expect(a.get(RevokedSessions).has(started.sessionId)).toBe(true);
    // The live token died with its session.
    expect(await reasonOf(sessions.rotate(presentedOf(rotated.refresh), CLIENT))).toBe(
      'session_revoked',
    );
  });

  it('announces rolesChanged to another instance within the propagation window', async () => {
    const b = await instance(dataSource, url, options(APP_USERS));
    try {
      const userId = randomUUID();
      const before = Date.now();
      await sessions.rolesChanged(userId, ['user']);

      // This instance at once; the other from the notification, within the window.
      expect(a.get(RevokedSessions).currentRoles(userId)).toEqual(new Set(['user']));
      const otherRevoked = b.get(RevokedSessions);
      while (!otherRevoked.currentRoles(userId) && Date.now() - before < PROPAGATION_MS) {
        await sleep(20);
      }
      expect(otherRevoked.currentRoles(userId)).toEqual(new Set(['user']));

      // A later change wins over the earlier one on both.
      await sessions.rolesChanged(userId, []);
      const [row] = await queryRows<{ roles: string[] }>(
        url,
        `SELECT roles FROM user_role_changes WHERE user_id = $1`,
        [userId],
      );
      expect(row.roles).toEqual([]);
      const second = Date.now();
      while (
        otherRevoked.currentRoles(userId)?.size !== 0 &&
        Date.now() - second < PROPAGATION_MS
      ) {
        await sleep(20);
      }
      expect(otherRevoked.currentRoles(userId)).toEqual(new Set());
    } finally {
      await b.close();
    }
  });

  it('hands a role change made before an instance started to that instance by its catch-up read', async () => {
    const userId = randomUUID();
    await sessions.rolesChanged(userId, ['reader']);
    const c = await instance(dataSource, url, options(APP_USERS));
    try {
      // The first catch-up read runs during the start, before init resolves.
      expect(c.get(RevokedSessions).currentRoles(userId)).toEqual(new Set(['reader']));
    } finally {
      await c.close();
    }
  });

  it('refuses calls that belong to the built-in accounts, before any statement', async () => {
    const builtin = await providers(dataSource, url, options(undefined));
    const userId = randomUUID();
    const service = builtin.get(SessionsService);
    await expect(service.start(userId, null, CLIENT)).rejects.toThrow(/verified password hash/);
    await expect(service.rolesChanged(userId, [])).rejects.toThrow(/apps with their own users/);
    expect(await queryRows(url, `SELECT 1 FROM sessions WHERE user_id = $1`, [userId])).toEqual([]);
    expect(
      await queryRows(url, `SELECT 1 FROM user_role_changes WHERE user_id = $1`, [userId]),
    ).toEqual([]);
    await builtin.close();
  });

  it('refuses a user id that is not a UUID in rolesChanged', async () => {
    await expect(sessions.rolesChanged('42', ['user'])).rejects.toThrow(/UUID/);
  });
});

describe('the start-time schema check', () => {
  let schema: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    const created = await createTestSchema();
    schema = created.schema;
    dataSource = await postgres(created.url, false).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    if (schema) await dropTestSchema(schema);
  });

  it('names the missing tables and the core migrations on an empty schema', async () => {
    await expect(assertSessionAuthSchema(dataSource, false)).rejects.toThrow(
      `SessionAuthModule: tables "sessions", "security_events", "login_failures", "user_role_changes", "session_revocations", "sessions_revoked_before" are missing: add SESSION_AUTH_CORE_MIGRATIONS to your DataSource's migrations`,
    );
  });

  it('names the users table and the built-in migrations in built-in mode', async () => {
    await expect(assertSessionAuthSchema(dataSource, true)).rejects.toThrow(
      `SessionAuthModule: tables "users", "sessions", "security_events", "login_failures", "session_revocations", "sessions_revoked_before" are missing: add SESSION_AUTH_MIGRATIONS to your DataSource's migrations`,
    );
  });

  it('passes once the core migrations have run, and their down migrations remove every table', async () => {
    await dataSource.runMigrations();
    await expect(assertSessionAuthSchema(dataSource, false)).resolves.toBeUndefined();
    for (let undone = 0; undone < SESSION_AUTH_CORE_MIGRATIONS.length; undone++) {
      await dataSource.undoLastMigration();
    }
    await expect(assertSessionAuthSchema(dataSource, false)).rejects.toThrow(
      /tables "sessions", "security_events", "login_failures", "user_role_changes", "session_revocations", "sessions_revoked_before" are missing/,
    );
    const left = await dataSource.query(
      `SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace
          AND relkind IN ('r', 'S') AND relname NOT IN ('migrations', 'migrations_id_seq')`,
    );
    expect(left).toEqual([]);
  });

  it('names the one table dropped since the migration', async () => {
    await dataSource.runMigrations();
    await dataSource.query(`DROP TABLE user_role_changes`);
    await expect(assertSessionAuthSchema(dataSource, false)).rejects.toThrow(
      `SessionAuthModule: table "user_role_changes" is missing: add SESSION_AUTH_CORE_MIGRATIONS to your DataSource's migrations`,
    );
  });
});
