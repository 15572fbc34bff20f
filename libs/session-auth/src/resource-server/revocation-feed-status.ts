import { Injectable } from '@nestjs/common';
import { ResolvedResourceServerOptions } from './resource-server-options';
import { RevokedTokens } from './revoked-tokens';

/**
 * - `off`: no `revocationFeed` configured; tokens are only verified.
 * - `connecting`: the first connection has not succeeded yet.
 * - `up`: caught up, and following the live stream.
 * - `down`: out of reach since `since`; tokens are still verified, revocations arrive late.
 */
export type RevocationFeedState = 'off' | 'connecting' | 'up' | 'down';

/** What `RevocationFeedStatus.describe()` reports, for a readiness route or a health indicator. */
export interface RevocationFeedDescription {
  state: RevocationFeedState;
  healthy: boolean;
  /** When the feed entered this state (ISO). */
  since: string;
  /** When the last event, heartbeat or catch-up answer arrived (ISO); null before the first. */
  lastHeardAt: string | null;
  /** The id of the last event applied; null before the first. */
  cursor: string | null;
  /** Revoked sessions held in memory now. */
  revokedSessions: number;
  /** Why the feed is down, such as `the service refused the feed token (401 feed_token_invalid)`. */
  problem: string | null;
  /** With `maxFeedSilence`: guarded routes answer 503 while this is true. */
  silentTooLong: boolean;
}

/**
 * The revocation feed's health, for the app's readiness check: inject it and answer 503 when
 * `isHealthy()` is false (or call it from a `@nestjs/terminus` health indicator). Healthy means
 * no feed is configured, or it is caught up and has not been silent longer than `maxFeedSilence`.
 * The feed client reports into it; nothing else should.
 */
@Injectable()
export class RevocationFeedStatus {
  private state: RevocationFeedState;
  private sinceMs = Date.now();
  /** Silence counts from the start: a feed never reached is as silent as one that stopped. */
  private lastHeardMs = Date.now();
  private heardAnything = false;
  private cursor: string | null = null;
  private problem: string | null = null;

  constructor(
    private readonly options: ResolvedResourceServerOptions,
    private readonly revoked: RevokedTokens,
  ) {
    this.state = options.revocationFeed ? 'connecting' : 'off';
  }

  isHealthy(nowMs = Date.now()): boolean {
    return this.state === 'off' || (this.state === 'up' && !this.isSilentTooLong(nowMs));
  }

  /** True once `maxFeedSilence` has passed with neither an event nor a heartbeat. */
  isSilentTooLong(nowMs = Date.now()): boolean {
    const limit = this.options.maxFeedSilenceMs;
    return limit !== null && nowMs - this.lastHeardMs > limit;
  }

  describe(nowMs = Date.now()): RevocationFeedDescription {
    return {
      state: this.state,
      healthy: this.isHealthy(nowMs),
      since: new Date(this.sinceMs).toISOString(),
      lastHeardAt: this.heardAnything ? new Date(this.lastHeardMs).toISOString() : null,
      cursor: this.cursor,
      revokedSessions: this.revoked.size,
      problem: this.problem,
      silentTooLong: this.isSilentTooLong(nowMs),
    };
  }

  /** Something arrived from the feed: an event, a heartbeat, a catch-up answer. */
  heard(cursor: string | null, nowMs = Date.now()): void {
    this.lastHeardMs = nowMs;
    this.heardAnything = true;
    if (cursor !== null) this.cursor = cursor;
  }

  /** Caught up and following the stream. Returns the state it left. */
  connected(nowMs = Date.now()): RevocationFeedState {
    const left = this.state;
    if (left !== 'up') this.enter('up', nowMs);
    this.problem = null;
    return left;
  }

  /** The feed is out of reach. Returns whether this is news (a new outage, or a new cause). */
  lost(problem: string, nowMs = Date.now()): boolean {
    const news = this.state !== 'down' || this.problem !== problem;
    if (this.state !== 'down') this.enter('down', nowMs);
    this.problem = problem;
    return news;
  }

  /** How long the feed has been in its current state, in ms. */
  stateAgeMs(nowMs = Date.now()): number {
    return nowMs - this.sinceMs;
  }

  private enter(state: RevocationFeedState, nowMs: number): void {
    this.state = state;
    this.sinceMs = nowMs;
  }
}
