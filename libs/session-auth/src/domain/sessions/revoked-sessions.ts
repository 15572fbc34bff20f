import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ResolvedSessionAuthOptions } from '../../core/resolved-options';
import { RevocationListener, RevocationSink } from '../../persistence/revocation-listener';
import type { RoleChange } from '../../persistence/users.repository';

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
 * request. Fed by the RevocationListener (PostgreSQL LISTEN/NOTIFY, healed by a periodic catch-up
 * read). An entry lives only as long as an access token of that session could, counted from when
 * this instance learned of it (its own clock against itself, never another's).
 *
 * The same feed keeps the current roles of every user whose roles changed within that time, so
 * that the access-token check hands out only the roles a user still has: a removed role stops
 * working within REVOCATION_PROPAGATION, a granted one shows from the next refresh.
 */
@Injectable()
export class RevokedSessions implements RevocationSink, OnModuleInit, OnApplicationShutdown {
  /** session id → when it can be forgotten (ms, this process's clock). */
  private readonly revoked = new Map<string, number>();
  /** user id → its roles since a recent change; users with no recent change are absent. */
  private readonly changedRoles = new Map<string, CurrentRoles>();
  /**
   * Seconds: every access token issued before it is refused (`sessions:revoke-all`); 0 when there
   * was none. A field, read on every guarded request.
   */
  notBefore = 0;

  constructor(
    private readonly options: ResolvedSessionAuthOptions,
    private readonly listener: RevocationListener,
  ) {}

  has(sessionId: string): boolean {
    const forgetAt = this.revoked.get(sessionId);
    return forgetAt !== undefined && forgetAt > Date.now();
  }

  /** Marks sessions revoked, from now on; other instances learn it from the notification. */
  add(sessionIds: Iterable<string>): void {
    const before = this.revoked.size;
    const forgetAt = Date.now() + this.retentionMs();
    for (const id of sessionIds) {
      if ((this.revoked.get(id) ?? 0) < forgetAt) this.revoked.set(id, forgetAt);
    }
    this.sizeChangedFrom(before);
  }

  /**
   * The user's roles if they changed recently, else undefined: then the token's roles stand. One
   * Map lookup, on every guarded request.
   */
  currentRoles(userId: string): ReadonlySet<string> | undefined {
    return this.changedRoles.get(userId)?.roles;
  }

  /** Keeps the latest roles of a user; an older change arriving late does not win. */
  applyRoleChange(change: RoleChange): void {
    const known = this.changedRoles.get(change.id);
    if (known && known.at > change.at) return;
    this.changedRoles.set(change.id, {
      roles: new Set(change.roles),
      at: change.at,
      forgetAt: Date.now() + this.retentionMs(),
    });
  }

  /** A revoke-all's moment, from the database; an earlier one never replaces a later one. */
  revokeAllBefore(atSeconds: number): void {
    if (atSeconds > this.notBefore) this.notBefore = atSeconds;
  }

  get size(): number {
    return this.revoked.size;
  }

  async onModuleInit(): Promise<void> {
    await this.listener.start(
      this,
      Math.max(100, Math.floor(this.options.revocationPropagationMs / 2)),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener.stop();
  }

  retentionMs(): number {
    return this.options.accessTokenTtlMs + this.options.clockToleranceMs + 60_000;
  }

  forgetExpired(now: number): void {
    const before = this.revoked.size;
    for (const [id, forgetAt] of this.revoked) {
      if (forgetAt <= now) this.revoked.delete(id);
    }
    for (const [id, entry] of this.changedRoles) {
      if (entry.forgetAt <= now) this.changedRoles.delete(id);
    }
    this.sizeChangedFrom(before);
  }

  private sizeChangedFrom(before: number): void {
    if (this.revoked.size !== before)
      this.options.observer.revokedSessionsInMemory(this.revoked.size);
  }
}
