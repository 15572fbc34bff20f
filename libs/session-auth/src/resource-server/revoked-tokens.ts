import { Injectable } from '@nestjs/common';
import { ResolvedResourceServerOptions } from './resource-server-options';

/** A `revoked-all` event: every token issued before `beforeMs` is refused until `forgetAtMs`. */
interface RevokedAll {
  beforeMs: number;
  forgetAtMs: number;
}

/**
 * What the revocation feed has revoked, in memory: session ids, and `revoked-all` cut-offs. An
 * entry lives until the event's `until` (when the last access token it concerns expires), plus
 * the clock tolerance that token's `exp` is checked with, so memory is bounded by the revocations
 * of one access-token lifetime.
 */
@Injectable()
export class RevokedTokens {
  /** session id → when it can be forgotten (ms). */
  private readonly sessions = new Map<string, number>();
  private revokedAll: RevokedAll[] = [];
  private readonly toleranceMs: number;

  constructor(options: ResolvedResourceServerOptions) {
    this.toleranceMs = options.clockToleranceMs;
  }

  revokeSession(sessionId: string, untilMs: number, nowMs = Date.now()): void {
    const forgetAtMs = untilMs + this.toleranceMs;
    if (forgetAtMs <= nowMs) return;
    this.sessions.set(sessionId, Math.max(forgetAtMs, this.sessions.get(sessionId) ?? 0));
  }

  revokeAllBefore(beforeMs: number, untilMs: number, nowMs = Date.now()): void {
    const forgetAtMs = untilMs + this.toleranceMs;
    if (forgetAtMs > nowMs) this.revokedAll.push({ beforeMs, forgetAtMs });
  }

  /**
   * Whether a token of this session, issued at `iatSec`, is refused. `iat` has whole seconds: a
   * token of the same second as a `revoked-all` cut-off is refused, on the safe side.
   */
  isRevoked(sessionId: string, iatSec: number, nowMs = Date.now()): boolean {
    const forgetAtMs = this.sessions.get(sessionId);
    if (forgetAtMs !== undefined && forgetAtMs > nowMs) return true;
    for (const cutOff of this.revokedAll) {
      if (cutOff.forgetAtMs > nowMs && iatSec * 1000 < cutOff.beforeMs) return true;
    }
    return false;
  }

  /** Drops the entries whose tokens have all expired. */
  forgetExpired(nowMs = Date.now()): void {
    for (const [sessionId, forgetAtMs] of this.sessions) {
      if (forgetAtMs <= nowMs) this.sessions.delete(sessionId);
    }
    this.revokedAll = this.revokedAll.filter((cutOff) => cutOff.forgetAtMs > nowMs);
  }

  /** How many revoked sessions are held (cut-offs not counted). */
  get size(): number {
    return this.sessions.size;
  }
}
