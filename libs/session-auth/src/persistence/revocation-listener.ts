import { Injectable, Logger } from '@nestjs/common';
import { Client, Notification } from 'pg';
import type { ResolvedObserver } from '../core/observer';
import { ResolvedSessionAuthOptions } from '../core/resolved-options';
import { REVOCATION_CHANNEL } from './sessions.repository';
import { REVOKED_BEFORE_CHANNEL, REVOKED_BEFORE_SECONDS } from './sessions-revoked-before';
import { USER_ROLE_CHANGE_JSON } from './user-role-changes.repository';
import { ROLE_CHANGE_JSON, RoleChange, ROLES_CHANNEL } from './users.repository';

/** How far back each catch-up read looks past the previous one: commits lag behind now(). */
const CATCH_UP_OVERLAP_MS = 5_000;
/**
 * The longest any query of the listener may wait for its answer. A connection left half-open by a
 * failover answers nothing and sends no error: without this, catch-up would wait for minutes while
 * revocations made elsewhere go unseen. A timed-out query replaces the connection.
 */
export const LISTENER_QUERY_TIMEOUT_MS = 2_000;
/** TCP keepalive probes on the LISTEN connection, which is idle between notifications. */
const KEEPALIVE_DELAY_MS = 5_000;

/**
 * The revocations and role changes since `$1` (the previous read's database time, or `$2` seconds
 * back on the first read) and the database's own `now()`, in one statement: the cursor and the rows
 * come from one clock, so no skew between instances, or between an instance and the database,
 * loses a row. Role changes come from `users` with the built-in accounts, from `user_role_changes`
 * with the app's own.
 */
function catchUpStatement(builtinUsers: boolean): string {
  // The moment is written out in each condition, not taken from a CTE: a CTE's value is unknown
  // when the statement is planned, and with a million revoked sessions in the index the planner
  // then guessed a third of them and scanned the table, twice a second on every instance. Written
  // out, it is planned with the parameters' values and `now()`, and finds the few recent rows.
  const since = `coalesce($1::timestamptz, now() - make_interval(secs => $2::float8))`;
  const roleChanges = builtinUsers
    ? `SELECT ${ROLE_CHANGE_JSON} FROM users WHERE roles_changed_at >= ${since}`
    : `SELECT ${USER_ROLE_CHANGE_JSON} FROM user_role_changes WHERE changed_at >= ${since}`;
  return `SELECT now() AS now,
        ARRAY(SELECT id::text FROM sessions WHERE revoked_at >= ${since}) AS revoked,
        ARRAY(${roleChanges}) AS roles,
        ${REVOKED_BEFORE_SECONDS} AS revoked_before`;
}

/**
 * Where the listener connects. LISTEN needs a session of its own, so this is a direct connection
 * string, never one through a transaction pooler (whose next transaction may run on another
 * server connection, and whose LISTEN hears nothing); undefined lets pg take the standard PG*
 * environment variables.
 */
export abstract class RevocationListenerOptions {
  abstract readonly connectionString: string | undefined;
}

/** What the listener feeds: the in-memory revocation state (see RevokedSessions). */
export interface RevocationSink {
  /** How long an entry is kept, and so how far back the first catch-up read looks. */
  retentionMs(): number;
  add(sessionIds: Iterable<string>): void;
  applyRoleChange(change: RoleChange): void;
  /** The moment (seconds) of the last revoke-all. */
  revokeAllBefore(atSeconds: number): void;
  forgetExpired(now: number): void;
}

/**
 * PostgreSQL LISTEN/NOTIFY for revocations and role changes, on a connection of its own, healed by
 * a periodic catch-up read for anything a dropped connection missed.
 */
@Injectable()
export class RevocationListener {
  private readonly logger = new Logger(RevocationListener.name);
  private sink: RevocationSink | null = null;
  private client: Client | null = null;
  private readonly retired = new WeakSet<Client>();
  private timer: NodeJS.Timeout | null = null;
  private reconnecting: NodeJS.Timeout | null = null;
  /** The database's now() at the previous catch-up read; null before the first. */
  private caughtUpTo: Date | null = null;
  private catchingUp = false;
  private stopped = false;
  private readonly catchUpStatement: string;
  private readonly revocationWatchers: Array<() => void> = [];
  private readonly observer: ResolvedObserver;

  constructor(
    private readonly options: RevocationListenerOptions,
    sessionAuth: ResolvedSessionAuthOptions,
  ) {
    this.catchUpStatement = catchUpStatement(sessionAuth.builtinUsers);
    this.observer = sessionAuth.observer;
  }

  /** Connects, catches up once, then again every `catchUpIntervalMs`. */
  async start(sink: RevocationSink, catchUpIntervalMs: number): Promise<void> {
    this.sink = sink;
    await this.connect();
    this.timer = setInterval(() => {
      void this.catchUp();
      this.signalRevocations();
    }, catchUpIntervalMs);
    this.timer.unref();
  }

  /**
   * Calls `watcher` on every revocation notification and every catch-up tick, whether or not the
   * connection is up: the revocation feed reads its log then, on this one connection's news,
   * without a LISTEN of its own.
   */
  watchRevocations(watcher: () => void): void {
    this.revocationWatchers.push(watcher);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.reconnecting) clearTimeout(this.reconnecting);
    const client = this.client;
    this.client = null;
    if (client) this.observer.revocationListenerUp(false);
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.options.connectionString,
      application_name: 'session-service:revocations',
      connectionTimeoutMillis: 3_000,
      query_timeout: LISTENER_QUERY_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    });
    client.on('notification', (message) => this.onNotification(message));
    client.on('error', (error) => this.onConnectionLost(client, error));
    client.on('end', () => this.onConnectionLost(client));
    try {
      await client.connect();
      await client.query(
        `LISTEN ${REVOCATION_CHANNEL}; LISTEN ${ROLES_CHANNEL}; LISTEN ${REVOKED_BEFORE_CHANNEL}`,
      );
      this.client = client;
      this.observer.revocationListenerUp(true);
      await this.catchUp();
    } catch (error) {
      this.onConnectionLost(client, error);
    }
  }

  private onNotification(message: Notification): void {
    // No payload: the moment is read from this instance's own table (see REVOKED_BEFORE_CHANNEL).
    if (message.channel === REVOKED_BEFORE_CHANNEL) {
      void this.catchUp();
      return;
    }
    if (!message.payload) return;
    if (message.channel === REVOCATION_CHANNEL) {
      this.sink?.add(message.payload.split(','));
      this.signalRevocations();
    } else if (message.channel === ROLES_CHANNEL) this.applyRoleChange(message.payload);
  }

  private signalRevocations(): void {
    for (const watcher of this.revocationWatchers) watcher();
  }

  private applyRoleChange(json: string): void {
    let change: RoleChange;
    try {
      change = JSON.parse(json) as RoleChange;
    } catch {
      this.logger.warn('Ignored a role change that is not valid JSON');
      return;
    }
    if (typeof change?.id !== 'string' || !Array.isArray(change.roles)) return;
    this.sink?.applyRoleChange(change);
  }

  private onConnectionLost(client: Client, error?: unknown): void {
    // Once per connection: a replaced one's late 'end' (a half-open socket closes much later) must
    // not start a second listener beside its successor.
    if (this.retired.has(client)) return;
    this.retired.add(client);
    if (this.client === client) {
      this.client = null;
      this.observer.revocationListenerUp(false);
    }
    void client.end().catch(() => undefined);
    if (this.stopped || this.reconnecting) return;
    if (error) this.logger.warn(`Revocation listener lost its connection: ${String(error)}`);
    this.reconnecting = setTimeout(() => {
      this.reconnecting = null;
      if (!this.stopped) void this.connect();
    }, 1_000);
    this.reconnecting.unref();
  }

  /**
   * One read at a time: a read that does not answer within the query timeout (a half-open
   * connection) fails, and the connection is replaced instead of piling up reads behind it.
   */
  private async catchUp(): Promise<void> {
    const client = this.client;
    const sink = this.sink;
    if (!client || !sink || this.catchingUp) return;
    this.catchingUp = true;
    try {
      const since = this.caughtUpTo && new Date(this.caughtUpTo.getTime() - CATCH_UP_OVERLAP_MS);
      const { rows } = await client.query<{
        now: Date;
        revoked: string[];
        roles: string[];
        revoked_before: number | null;
      }>(this.catchUpStatement, [since, sink.retentionMs() / 1000]);
      if (rows[0].revoked_before !== null) sink.revokeAllBefore(rows[0].revoked_before);
      sink.add(rows[0].revoked);
      for (const change of rows[0].roles) this.applyRoleChange(change);
      this.caughtUpTo = rows[0].now;
      sink.forgetExpired(Date.now());
    } catch (error) {
      this.onConnectionLost(client, error);
    } finally {
      this.catchingUp = false;
    }
  }
}
