import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Client, Notification } from 'pg';
import { AppConfig } from '../config/app-config';

export const REVOCATION_CHANNEL = 'session_revoked';
/** How far back each catch-up read looks past the previous one: commits and clocks lag. */
const CATCH_UP_OVERLAP_MS = 5_000;

/**
 * The in-memory set of revoked session ids that every access-token check consults, so that a
 * revoked session's access tokens stop working on every instance without a database read per
 * request. Fed by PostgreSQL LISTEN/NOTIFY, and healed by a periodic catch-up read for anything a
 * dropped connection missed. An entry lives only as long as an access token of that session could.
 */
@Injectable()
export class RevokedSessions implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RevokedSessions.name);
  /** session id → when it can be forgotten (ms). */
  private readonly revoked = new Map<string, number>();
  private client: Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reconnecting: NodeJS.Timeout | null = null;
  private caughtUpTo = 0;
  private stopped = false;

  constructor(private readonly config: AppConfig) {}

  has(sessionId: string): boolean {
    const forgetAt = this.revoked.get(sessionId);
    return forgetAt !== undefined && forgetAt > Date.now();
  }

  /** Marks sessions revoked here at once; other instances learn it from the notification. */
  add(sessionIds: Iterable<string>, revokedAt = Date.now()): void {
    const forgetAt = revokedAt + this.retentionMs();
    for (const id of sessionIds) {
      if ((this.revoked.get(id) ?? 0) < forgetAt) this.revoked.set(id, forgetAt);
    }
  }

  get size(): number {
    return this.revoked.size;
  }

  async onModuleInit(): Promise<void> {
    this.caughtUpTo = Date.now() - this.retentionMs();
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
    });
    client.on('notification', (message) => this.onNotification(message));
    client.on('error', (error) => this.onConnectionLost(client, error));
    client.on('end', () => this.onConnectionLost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
      this.client = client;
      await this.catchUp();
    } catch (error) {
      this.onConnectionLost(client, error);
    }
  }

  private onNotification(message: Notification): void {
    if (message.channel !== REVOCATION_CHANNEL || !message.payload) return;
    this.add(message.payload.split(','));
  }

  private onConnectionLost(client: Client, error?: unknown): void {
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

  private async catchUp(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const startedAt = Date.now();
    try {
      const { rows } = await client.query<{ id: string; revoked_at: Date }>(
        'SELECT id, revoked_at FROM sessions WHERE revoked_at >= $1',
        [new Date(this.caughtUpTo - CATCH_UP_OVERLAP_MS)],
      );
      for (const row of rows) this.add([row.id], row.revoked_at.getTime());
      this.caughtUpTo = startedAt;
      this.forgetExpired(startedAt);
    } catch (error) {
      this.onConnectionLost(client, error);
    }
  }

  private forgetExpired(now: number): void {
    for (const [id, forgetAt] of this.revoked) {
      if (forgetAt <= now) this.revoked.delete(id);
    }
  }
}
