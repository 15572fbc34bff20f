import { Injectable, Logger } from '@nestjs/common';
import { SessionAuthError } from '../../core/errors';
import { ResolvedSessionAuthOptions } from '../../core/resolved-options';
import { CounterStore, type WindowCount } from '../../persistence/counters/counter-store';
import { addressNetwork } from './address-network';

/** Key namespace of the per-address rate limits in the counter store. */
const PREFIX = 'rl:';

/**
 * How long after a refresh token is first let through its replays stay exempt: the grace window,
 * plus room for the wait between the limiter and the rotation that starts the window (row lock,
 * pool). A replay after the real window is answered 401 and revokes the session anyway.
 */
const REPLAY_MARGIN_MS = 5_000;

/**
 * `authRateLimit`: requests per client address (IPv6 by /64) and per route, in a fixed window; a
 * client over the limit waits until the window that counted it closes (429 with Retry-After).
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger(RateLimiter.name);

  constructor(
    private readonly counters: CounterStore,
    private readonly options: ResolvedSessionAuthOptions,
  ) {}

  /** Counts one request to `route` from `address`; throws 429 over the limit. */
  async count(route: string, address: string | null): Promise<void> {
    const { windowMs } = this.options.authRateLimit;
    this.refuseOver(await this.counters.hit(this.keyOf(route, address), windowMs));
  }

  /**
   * Counts a refresh token once: the first request presenting it is counted (and may be refused);
   * if let through, the token's jti is claimed in the same atomic step, and later requests with it
   * inside its grace window pass uncounted. Parallel refreshes with one token (two tabs, a retry
   * after a lost response) are never answered 429, while each new token still counts. Returns the
   * claim, which the caller releases when the refresh fails (see `releaseClaim`).
   */
  async countRefresh(route: string, address: string | null, tokenId: string): Promise<string> {
    const { limit, windowMs } = this.options.authRateLimit;
    const claimKey = `${PREFIX}refresh:${tokenId}`;
    const counted = await this.counters.hitUnlessClaimed(
      this.keyOf(route, address),
      windowMs,
      limit,
      claimKey,
      this.options.refreshReuseGraceMs + REPLAY_MARGIN_MS,
    );
    if (counted) this.refuseOver(counted);
    return claimKey;
  }

  /**
   * Only a refresh that can succeed stays exempt: a refresh answered with a client error releases
   * its claim, so that the next one with the same token counts.
   */
  releaseClaim(claimKey: string): void {
    this.counters.releaseClaim(claimKey).catch((error: unknown) =>
      this.logger.warn({
        msg: 'Could not release a refresh token claim; it expires by itself',
        err: error instanceof Error ? error.message : String(error),
      }),
    );
  }

  private keyOf(route: string, address: string | null): string {
    return `${PREFIX}${route}:${addressNetwork(address ?? 'unknown')}`;
  }

  private refuseOver(counted: WindowCount): void {
    if (counted.count <= this.options.authRateLimit.limit) return;
    throw new SessionAuthError('too_many_requests', 'Too many requests; slow down.', {
      retryAfterSeconds: Math.max(1, Math.ceil(counted.resetInMs / 1000)),
    });
  }
}
