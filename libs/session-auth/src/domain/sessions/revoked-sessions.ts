import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Client, Notification } from 'pg';
import { AppConfig } from '../config/app-config';
import {
  REVOCATION_CHANNEL,
  ROLE_CHANGE_JSON,
  RoleChange,
  ROLES_CHANNEL,
} from '@session-service/nestjs/internal';

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
 * loses a row.
 */
const CATCH_UP = `WITH since AS (
   SELECT coalesce($1::timestamptz, now() - make_interval(secs => $2::float8)) AS at
 )
 SELECT now() AS now,
        ARRAY(SELECT id::text FROM sessions
               WHERE revoked_at >= (SELECT at FROM since)) AS revoked,
        ARRAY(SELECT ${ROLE_CHANGE_JSON} FROM users
               WHERE roles_changed_at >= (SELECT at FROM since)) AS roles`;

/** A user's roles as of a change, kept while an access token minted before it could live. */
interface CurrentRoles {
  roles: ReadonlySet<string>;
  /** RoleChange.at: a later change wins, whichever source brings it first. */
  at: number;
  forgetAt: number;
}

/**
 * The in-memory set of revoked session ids that every access-token check consults, so that a
 * revoked session's access tokens stop working on every instance without a database read per
 * request. Fed by PostgreSQL LISTEN/NOTIFY, and healed by a periodic catch-up read for anything a
 * dropped connection missed. An entry lives only as long as an access token of that session could,
 * counted from when this instance learned of it (its own clock against itself, never another's).
 *
 * The same connection and read keep the current roles of every user whose roles changed within that
 * time, so that the access-token check hands out only the roles a user still has: a removed role
 * stops working within REVOCATION_PROPAGATION, a granted one shows from the next refresh.
 */
@Injectable()
export class RevokedSessions implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RevokedSessions.name);
  /** session id → when it can be forgotten (ms, this process's clock). */
  private readonly revoked = new Map<string, number>();
  /** user id → its roles since a recent change; users with no recent change are absent. */
  private readonly changedRoles = new Map<string, CurrentRoles>();
  private client: Client | null = null;
  private readonly retired = new WeakSet<Client>();
  private timer: NodeJS.Timeout | null = null;
  private reconnecting: NodeJS.Timeout | null = null;
  /** The database's now() at the previous catch-up read; null before the first. */
  private caughtUpTo: Date | null = null;
  private catchingUp = false;
  private stopped = false;

  constructor(private readonly config: AppConfig) {}

  has(sessionId: string): boolean {
    const forgetAt = this.revoked.get(sessionId);
    return forgetAt !== undefined && forgetAt > Date.now();
  }

  /** Marks sessions revoked, from now on; other instances learn it from the notification. */
  add(sessionIds: Iterable<string>): void {
    const forgetAt = Date.now() + this.retentionMs();
    for (const id of sessionIds) {
      if ((this.revoked.get(id) ?? 0) < forgetAt) this.revoked.set(id, forgetAt);
    }
  }

  /**
   * The user's roles if they changed recently, else undefined: then the token's roles stand. One
   * Map lookup, on every guarded request.
   */
  currentRoles(userId: string): ReadonlySet<string> | undefined {
    return this.changedRoles.get(userId)?.roles;
  }

  get size(): number {
    return this.revoked.size;
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
    const interval = Math.max(100, Math.floor(this.config.revocationPropagationMs / 2));
    this.timer = setInterval(() => void this.catchUp(), interval);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.reconnecting) clearTimeout(this.reconnecting);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private retentionMs(): number {
    return this.config.accessTokenTtlMs + this.config.clockToleranceMs + 60_000;
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.config.databaseUrl ?? undefined,
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
      await client.query(`LISTEN ${REVOCATION_CHANNEL}; LISTEN ${ROLES_CHANNEL}`);
      this.client = client;
      await this.catchUp();
    } catch (error) {
      this.onConnectionLost(client, error);
    }
  }

  private onNotification(message: Notification): void {
    if (!message.payload) return;
    if (message.channel === REVOCATION_CHANNEL) this.add(message.payload.split(','));
    else if (message.channel === ROLES_CHANNEL) this.applyRoleChange(message.payload);
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
    const known = this.changedRoles.get(change.id);
    if (known && known.at > change.at) return;
    this.changedRoles.set(change.id, {
      roles: new Set(change.roles),
      at: change.at,
      forgetAt: Date.now() + this.retentionMs(),
    });
  }

  private onConnectionLost(client: Client, error?: unknown): void {
    // Once per connection: a replaced one's late 'end' (a half-open socket closes much later) must
    // not start a second listener beside its successor.
    if (this.retired.has(client)) return;
    this.retired.add(client);
    if (this.client === client) this.client = null;
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
    if (!client || this.catchingUp) return;
    this.catchingUp = true;
    try {
      const since = this.caughtUpTo && new Date(this.caughtUpTo.getTime() - CATCH_UP_OVERLAP_MS);
      const { rows } = await client.query<{ now: Date; revoked: string[]; roles: string[] }>(
        CATCH_UP,
        [since, this.retentionMs() / 1000],
      );
      this.add(rows[0].revoked);
      for (const change of rows[0].roles) this.applyRoleChange(change);
      this.caughtUpTo = rows[0].now;
      this.forgetExpired(Date.now());
    } catch (error) {
      this.onConnectionLost(client, error);
    } finally {
      this.catchingUp = false;
    }
  }

  private forgetExpired(now: number): void {
    for (const [id, forgetAt] of this.revoked) {
      if (forgetAt <= now) this.revoked.delete(id);
    }
    for (const [id, entry] of this.changedRoles) {
      if (entry.forgetAt <= now) this.changedRoles.delete(id);
    }
  }
}
